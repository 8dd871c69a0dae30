"""Data contracts: versions of a port's promised schema, and checks against it."""


def contracts_check_ports(*, port_ids: list[int]) -> None:
    """Compare the schemas ingested for these ports with their contracts."""
    # Filled in with the contract checks.
