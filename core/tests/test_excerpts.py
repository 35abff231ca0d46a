"""``excerpt``: long text cut for a narrow place says it was cut; short text is left whole."""

from core.templatetags.excerpts import CONTINUED, excerpt


def test_short_text_is_whole():
    assert excerpt("Night notes checked.", 100) == "Night notes checked."
    assert excerpt(None, 10) == ""


def test_long_text_is_cut_at_a_word_and_says_so():
    text = "word " * 100
    cut = excerpt(text, 52)
    assert cut.endswith(CONTINUED)
    assert cut == "word " * 10 + CONTINUED


def test_text_without_spaces_is_cut_at_the_limit():
    assert excerpt("x" * 200, 50) == "x" * 50 + " " + CONTINUED


def test_a_size_name_cuts_only_past_that_bound():
    """Full-width narratives: whole up to their field's bound; only an older, longer row is cut."""
    from core import limits

    assert excerpt("x" * limits.NARRATIVE, "NARRATIVE") == "x" * limits.NARRATIVE
    assert excerpt("x" * 1024 * 1024, "NARRATIVE") == "x" * limits.NARRATIVE + " " + CONTINUED
