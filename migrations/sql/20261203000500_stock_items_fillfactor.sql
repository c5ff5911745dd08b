-- Room on each page of inventory.stock_items for the new version of a row that a
-- reservation updates, so the update stays a heap-only tuple (no index entry to
-- write): the row is updated by every reservation, settlement and adjustment,
-- and it grew by the locations' columns (`spread`, `unsellable`). Pages written
-- from now on keep 30% free; existing pages follow when the table is rewritten.
ALTER TABLE inventory.stock_items SET (fillfactor = 70);
