from rest_framework.response import Response


def lineage_graph(request):
    # Placeholder until the graph walk lands.
    return Response({"graph": []})
