-- Nothing to undo: the head commits filled in are true.
SELECT 1;
