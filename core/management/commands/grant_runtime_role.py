"""Give the runtime database role exactly what the app needs, and nothing it could erase with.

Run by the owner (the role that ran ``migrate`` and owns the tables) after every migrate;
safe to run again. The runtime role owns nothing, so it cannot ALTER, DROP or TRUNCATE a
table, drop or disable a trigger, and (not being a superuser) cannot switch
``session_replication_role``. It gets:

- SELECT, INSERT, UPDATE, DELETE on ordinary tables (SELECT only on django_migrations);
- SELECT, INSERT on append-only tables (those with an ``<table>_append_only`` trigger);
- SELECT on the audit chain, which only the owner's trigger function writes;
- USAGE, SELECT on sequences; CONNECT on the database, USAGE on the schema;
- the same on tables and sequences the owner creates later (ALTER DEFAULT PRIVILEGES). A
  new append-only table is narrowed by the next run of this command, after its migrate.
"""

from __future__ import annotations

import os

import environ
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core import db

READ_ONLY = {"django_migrations", db.CHAIN_TABLE}
DML = "SELECT, INSERT, UPDATE, DELETE"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Command(BaseCommand):
    help = "Grant the runtime role (which owns nothing) the privileges the app needs; run as the owner."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--role", help="The runtime role, e.g. recovery_app (it must exist).")
        who.add_argument(
            "--url-env",
            metavar="VAR",
            help="Take the role and its password from the database URL in this environment variable "
            "(e.g. RUNTIME_DATABASE_URL): the role is created if missing, its password set.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role: str | None, url_env: str | None, database: str, **options):
        password = None
        if url_env:
            url = os.environ.get(url_env, "")
            if not url:
                raise CommandError(f"{url_env} is not set.")
            config = environ.Env.db_url_config(url)
            role, password = config.get("USER") or "", config.get("PASSWORD") or None
            if not role or not password:
                raise CommandError(f"{url_env} must name a user and a password.")
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are kept on PostgreSQL only.")
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, dbname, schema = cursor.fetchone()
            if role == owner:
                raise CommandError(f"{role} is the role running this command (the owner); name the runtime role.")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                if password is None:
                    raise CommandError(
                        f"Role {role} does not exist: create it (CREATE ROLE {role} LOGIN PASSWORD '...') "
                        "or pass --url-env."
                    )
                cursor.execute(
                    f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %s", [password]
                )
            elif row[0]:
                raise CommandError(f"{role} is a superuser: the runtime role must not be.")
            elif self._member_of(cursor, role, owner):
                raise CommandError(f"{role} is a member of {owner}: it would act as the owner.")
            elif password is not None:
                cursor.execute(f"ALTER ROLE {quote(role)} LOGIN PASSWORD %s", [password])
            cursor.execute(
                """
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) = %s
                """,
                [schema, role],
            )
            owned = [r[0] for r in cursor.fetchall()]
            if owned:
                raise CommandError(f"{role} owns {', '.join(owned[:5])}: the runtime role must own nothing.")
            trail = db.append_only_tables(cursor)
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner = %s ORDER BY 1", [schema, owner]
            )
            tables = [r[0] for r in cursor.fetchall()]
            r, s = quote(role), quote(schema)
            default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {s}"
            statements = [
                f"GRANT CONNECT ON DATABASE {quote(dbname)} TO {r}",
                f"GRANT USAGE ON SCHEMA {s} TO {r}",
                f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
                f"{default} GRANT {DML} ON TABLES TO {r}",
                f"{default} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            ]
            counts = {"ordinary": 0, "append-only": 0, "read-only": 0}
            for table in tables:
                t = f"{s}.{quote(table)}"
                statements.append(f"REVOKE ALL ON {t} FROM {r}")
                if table in READ_ONLY:
                    statements.append(f"GRANT SELECT ON {t} TO {r}")
                    counts["read-only"] += 1
                elif table in trail:
                    statements.append(f"GRANT SELECT, INSERT ON {t} TO {r}")
                    counts["append-only"] += 1
                else:
                    statements.append(f"GRANT {DML} ON {t} TO {r}")
                    counts["ordinary"] += 1
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(
            f"{role} on {dbname}: {counts['ordinary']} ordinary tables, {counts['append-only']} append-only "
            f"(SELECT, INSERT), {counts['read-only']} read-only; owner {owner}."
        )

    @staticmethod
    def _member_of(cursor, role: str, owner: str) -> bool:
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        return cursor.fetchone()[0]
