from django.db import migrations

# Payloads of 2 kB and more are compressed when stored, and lz4 costs a fraction
# of the CPU of PostgreSQL's default pglz on the ingestion path. A server built
# without lz4 keeps pglz.
COLUMNS = [
    ("lineage_event", "payload"),
    ("lineage_jobfacet", "payload"),
    ("lineage_runfacet", "payload"),
    ("lineage_datasetfacet", "payload"),
    ("lineage_schemaversion", "fields"),
]


def set_compression(method: str) -> str:
    statements = "\n".join(
        f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method};"
        for table, column in COLUMNS
    )
    return f"""
DO $$
BEGIN
{statements}
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available; payloads stay compressed with pglz';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("lineage", "0003_event_payload_json")]

    operations = [migrations.RunSQL(set_compression("lz4"), set_compression("pglz"))]
