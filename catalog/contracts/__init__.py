"""Data contracts: versions of a port's promised schema, and checks against it.

`schema` validates and compares schemas without the database, `services`
writes contract versions and violations, `selectors` reads them and checks a
schema that a pipeline proposes.
"""

from catalog.contracts.services import contract_create, contracts_check_ports

__all__ = ["contract_create", "contracts_check_ports"]
