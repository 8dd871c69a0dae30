from rest_framework.response import Response


def ingest_events(request):
    # Placeholder until ingestion lands.
    return Response({"error": {"code": "not_implemented"}}, status=501)
