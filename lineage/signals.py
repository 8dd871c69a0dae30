"""Signals for the apps built on lineage, which lineage itself never imports.

`events_stored` is sent after new events are stored (`events`: the
ParsedEvent objects that were not duplicates). Inside a transaction it is sent
before the commit, so a receiver that starts background work should do so
with `transaction.on_commit`.

`lineage_rebuilt` is sent after `rebuild_lineage` has replayed every stored
event, inside its transaction: every derived row may have changed.
"""

from django.dispatch import Signal

events_stored = Signal()
lineage_rebuilt = Signal()
