"""The portal's pages: namespaces, jobs, datasets, runs, search and the graph.

Every page requires a logged-in user. Lists are paginated, and every page reads
through `lineage.selectors`. A numeric query parameter that is not a whole number
in ASCII digits within its range, or a text one with a NUL character, gets a 400
page that names it. Names and node ids are used exactly as sent.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from lineage import graph, selectors
from lineage.models import Namespace, Run

PAGE_SIZE = 50
# The graph page offers depths up to this, and the API applies its own cap too.
MAX_GRAPH_DEPTH = 20
DEFAULT_GRAPH_DEPTH = 3
GRAPH_DIRECTIONS = ("both", "upstream", "downstream")


# A page number past the last page shows the last page.
MAX_PAGE = 1_000_000_000
MAX_PK = 2**63 - 1


class BadQuery(Exception):
    """A query parameter a page cannot use, shown on a 400 page with its message."""


def answers_bad_query(view):
    """Render a BadQuery raised by `view` as a 400 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadQuery as error:
            context = {"message": str(error)}
            return render(request, "lineage/bad_request.html", context, status=400)

    return wrapper


def _number(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """Read a whole number in ASCII digits; a missing or empty one is `default`."""
    value = request.GET.get(name, "")
    if value == "":
        return default
    # The length check keeps int() away from texts of thousands of digits.
    valid = value.isascii() and value.isdigit() and len(value) <= 20
    if not valid or not minimum <= int(value) <= maximum:
        raise BadQuery(
            f"Invalid {name} {value[:100]!r}: expected a whole number from "
            f"{minimum} to {maximum}."
        )
    return int(value)


def _text(request, name: str) -> str:
    """Read a text parameter as sent: names may start or end with spaces."""
    value = request.GET.get(name, "")
    if "\x00" in value:
        raise BadQuery(f"Invalid {name}: it contains a NUL character.")
    return value


def _page(request, queryset):
    number = _number(request, "page", default=1, minimum=1, maximum=MAX_PAGE)
    return Paginator(queryset, PAGE_SIZE).get_page(number)


def _namespace_filter(request) -> tuple[list[Namespace], Namespace | None]:
    """Return all namespaces for the filter form, and the one `?namespace=` names.

    The second item is None when the parameter is missing or names no namespace.
    """
    pk = _number(request, "namespace", default=0, minimum=1, maximum=MAX_PK)
    namespaces = list(Namespace.objects.order_by("name", "pk"))
    chosen = next((ns for ns in namespaces if ns.pk == pk), None)
    return namespaces, chosen


@login_required
@answers_bad_query
def namespace_list(request):
    page = _page(request, selectors.namespace_list())
    return render(request, "lineage/namespace_list.html", {"page": page})


@login_required
@answers_bad_query
def job_list(request):
    namespaces, namespace = _namespace_filter(request)
    state = request.GET.get("state", "")
    if state not in Run.State.values and state != "NONE":
        state = ""
    name_contains = _text(request, "q")
    jobs = selectors.job_list(
        namespace_id=namespace.pk if namespace else None,
        state=state,
        name_contains=name_contains,
    )
    context = {
        "page": _page(request, jobs),
        "namespace": namespace,
        "namespaces": namespaces,
        "state": state,
        "states": Run.State.values,
        "q": name_contains,
    }
    return render(request, "lineage/job_list.html", context)


@login_required
@answers_bad_query
def dataset_list(request):
    namespaces, namespace = _namespace_filter(request)
    name_contains = _text(request, "q")
    datasets = selectors.dataset_list(
        namespace_id=namespace.pk if namespace else None, name_contains=name_contains
    )
    context = {
        "page": _page(request, datasets),
        "namespace": namespace,
        "namespaces": namespaces,
        "q": name_contains,
    }
    return render(request, "lineage/dataset_list.html", context)


@login_required
@answers_bad_query
def dataset_detail(request, pk: int):
    dataset = selectors.dataset_detail(pk)
    return render(request, "lineage/dataset_detail.html", {"dataset": dataset})


@login_required
@answers_bad_query
def job_detail(request, pk: int):
    job = selectors.job_detail(pk)
    return render(request, "lineage/job_detail.html", {"job": job})


@login_required
@answers_bad_query
def run_detail(request, run_id):
    run = selectors.run_detail(run_id)
    return render(request, "lineage/run_detail.html", {"run": run})


@login_required
@answers_bad_query
def search(request):
    name_contains = _text(request, "q")
    jobs, datasets = selectors.search(name_contains) if name_contains else ([], [])
    context = {"q": name_contains, "jobs": jobs, "datasets": datasets}
    return render(request, "lineage/search.html", context)


@login_required
@answers_bad_query
def lineage_graph(request):
    """Render the graph page: graph.js draws the graph from the lineage API.

    The page itself lists the same nodes as text, for screen readers and for
    browsers without JavaScript, and reports an invalid or unknown node id.
    """
    node_id = _text(request, "nodeId")
    depth = _number(
        request,
        "depth",
        default=DEFAULT_GRAPH_DEPTH,
        minimum=1,
        maximum=MAX_GRAPH_DEPTH,
    )
    direction = request.GET.get("direction", "both")
    if direction not in GRAPH_DIRECTIONS:
        direction = "both"
    context = {
        "node_id": node_id,
        "depth": depth,
        "depths": range(1, MAX_GRAPH_DEPTH + 1),
        "direction": direction,
        "directions": GRAPH_DIRECTIONS,
        "api_url": reverse("lineage-api:lineage"),
        "node_error": "",
    }
    status = 200
    if node_id:
        try:
            root = graph.resolve_node_id(node_id)
        except graph.MalformedNodeId as error:
            context["node_error"], status = str(error), 400
        else:
            if root is None:
                context["node_error"] = (
                    f"Node {node_id} not found: no dataset or job has that "
                    "namespace and name."
                )
                status = 404
            else:
                # NOTE: graph.js then fetches the same walk from the API, so a
                # page view walks the graph twice.
                sections, truncated = selectors.lineage_node_list(
                    root, depth=depth, direction=direction
                )
                context.update(sections=sections, truncated=truncated)
    return render(request, "lineage/lineage_graph.html", context, status=status)
