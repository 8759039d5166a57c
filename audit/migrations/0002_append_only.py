"""The database itself refuses to change or remove audit entries, whoever asks.

Entries: no UPDATE, no DELETE. Chain head: no DELETE, and an UPDATE only moves it forward by
one, onto an entry that exists with that hash, so the head cannot be wound back to hide
entries cut off the end. (PostgreSQL's TRUNCATE, used by `manage.py flush`, does not fire row
triggers; `audit_verify` reports a head that no longer matches the entries.)
"""

from django.db import migrations

SQLITE = [
    (
        """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END""",
        "DROP TRIGGER IF EXISTS audit_entry_no_update",
    ),
    (
        """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END""",
        "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    ),
    (
        """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead
        BEGIN SELECT RAISE(ABORT, 'the audit chain head is never removed'); END""",
        "DROP TRIGGER IF EXISTS audit_head_no_delete",
    ),
    (
        """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chainhead
        WHEN NEW.id <> OLD.id OR NEW.last_seq <> OLD.last_seq + 1 OR NOT EXISTS (
            SELECT 1 FROM audit_auditentry WHERE id = NEW.last_seq AND hash = NEW.last_hash)
        BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward by one entry'); END""",
        "DROP TRIGGER IF EXISTS audit_head_forward_only",
    ),
]

POSTGRESQL = [
    (
        """CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
        END $$""",
        "DROP FUNCTION IF EXISTS audit_refuse_change()",
    ),
    (
        """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    ),
    (
        """CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'the audit chain head is never removed';
            END IF;
            IF NEW.id <> OLD.id OR NEW.last_seq <> OLD.last_seq + 1 OR NOT EXISTS (
                SELECT 1 FROM audit_auditentry WHERE id = NEW.last_seq AND hash = NEW.last_hash
            ) THEN
                RAISE EXCEPTION 'the audit chain head only moves forward by one entry';
            END IF;
            RETURN NEW;
        END $$""",
        "DROP FUNCTION IF EXISTS audit_head_forward()",
    ),
    (
        """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_chainhead
        FOR EACH ROW EXECUTE FUNCTION audit_head_forward()""",
        "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_chainhead",
    ),
]


class VendorSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (the trigger syntax differs)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, "vendor": self.vendor}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        *(VendorSQL("sqlite", sql, reverse) for sql, reverse in SQLITE),
        *(VendorSQL("postgresql", sql, reverse) for sql, reverse in POSTGRESQL),
    ]
