"""Number formats for the Chinese interface, over Django's own zh_Hans ones:
thousands grouped by threes with a comma, as government tables and 通报 write
amounts ("89,986.00 万元"); Django's leaves them ungrouped. Grouping applies
only where a template asks for it (floatformat's "g"), so ids and years in
links stay as they are."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
