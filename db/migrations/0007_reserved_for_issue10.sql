-- Placeholder: 0007 belongs to another change of the same release, and the migrator refuses gaps in the
-- numbering. This file lets 0008 run on its own branch; it is dropped when the real 0007 is merged.
select 1;
