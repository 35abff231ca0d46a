"""The provider dashboard for provider-wide roles."""
