from django.db import migrations

# Raw events are the source of truth that every derived table is rebuilt from,
# so the database itself rejects changing or deleting one.
APPEND_ONLY = """
CREATE FUNCTION lineage_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lineage_event is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER lineage_event_append_only
    BEFORE UPDATE OR DELETE ON lineage_event
    FOR EACH ROW EXECUTE FUNCTION lineage_event_append_only();
"""

DROP = """
DROP TRIGGER lineage_event_append_only ON lineage_event;
DROP FUNCTION lineage_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("lineage", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, DROP)]
