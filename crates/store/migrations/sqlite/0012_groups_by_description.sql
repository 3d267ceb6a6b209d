-- The newest group of a description (the bus files a resultsdb-format
-- message's result in the group its ref_url describes): one index step,
-- whatever the number of groups.
CREATE INDEX result_groups_description_newest ON result_groups (description, id);
