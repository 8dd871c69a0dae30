"""Geometry for the SVG drawn on the product page, computed on the server.

The pages' Content Security Policy allows no inline script, so the product
lineage graph is laid out here and the template only writes the numbers into
SVG attributes.
"""

from dataclasses import dataclass

from django.urls import reverse

from catalog.models import DataProduct

# Product lineage graph, in SVG user units.
NODE_WIDTH = 220
NODE_HEIGHT = 44
ROW_STEP = 60
COLUMN_STEP = 300
# Each side of the graph draws at most this many products. The lists under the
# graph name all of them.
MAX_SIDE_NODES = 12
LABEL_CHARS = 26


@dataclass(frozen=True)
class GraphNode:
    label: str
    title: str
    url: str
    x: int
    y: int
    # "input", "product" or "consumer": the CSS class of the box.
    side: str
    width: int = NODE_WIDTH
    height: int = NODE_HEIGHT

    @property
    def label_x(self) -> int:
        return self.x + 12

    @property
    def label_y(self) -> int:
        return self.y + NODE_HEIGHT // 2 + 5


@dataclass(frozen=True)
class GraphEdge:
    path: str


@dataclass(frozen=True)
class ProductGraph:
    width: int
    height: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    hidden_inputs: int
    hidden_consumers: int


def _label(name: str) -> str:
    if len(name) <= LABEL_CHARS:
        return name
    return name[: LABEL_CHARS - 1] + "…"


def _column(products, *, x: int, top: int, side: str) -> list[GraphNode]:
    nodes = []
    for index, product in enumerate(products[:MAX_SIDE_NODES]):
        nodes.append(
            GraphNode(
                label=_label(product.name),
                title=f"{product.name} ({product.domain.name})",
                url=reverse("catalog:product-detail", args=[product.slug]),
                x=x,
                y=top + index * ROW_STEP,
                side=side,
            )
        )
    return nodes


def _edge(source: GraphNode, target: GraphNode) -> GraphEdge:
    """Draw an S-curve from the right side of `source` to the left of `target`."""
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT // 2
    x2, y2 = target.x, target.y + NODE_HEIGHT // 2
    middle = (x1 + x2) // 2
    return GraphEdge(f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}")


def product_graph(product: DataProduct, inputs: list, consumers: list) -> ProductGraph:
    """Lay out inputs -> product -> consumers in three columns, left to right."""
    rows = max(min(len(inputs), MAX_SIDE_NODES), min(len(consumers), MAX_SIDE_NODES))
    height = max(rows, 1) * ROW_STEP

    def top(count: int) -> int:
        used = min(count, MAX_SIDE_NODES) * ROW_STEP
        return (height - used) // 2 + (ROW_STEP - NODE_HEIGHT) // 2

    center = _column([product], x=COLUMN_STEP, top=top(1), side="product")[0]
    left = _column(inputs, x=0, top=top(len(inputs)), side="input")
    right = _column(
        consumers, x=2 * COLUMN_STEP, top=top(len(consumers)), side="consumer"
    )
    edges = [_edge(node, center) for node in left]
    edges += [_edge(center, node) for node in right]
    return ProductGraph(
        width=2 * COLUMN_STEP + NODE_WIDTH,
        height=height,
        nodes=[*left, center, *right],
        edges=edges,
        hidden_inputs=max(len(inputs) - MAX_SIDE_NODES, 0),
        hidden_consumers=max(len(consumers) - MAX_SIDE_NODES, 0),
    )
