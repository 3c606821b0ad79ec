-- tarscache's own tables in db_tars: subset rules (one row per servant) and the subset
-- label of each deployed server node. They are not part of Tars; the official tables
-- are never altered. This file is the single source of truth of their DDL: it is
-- embedded in package sync and run, statement by statement, by "tarscache db migrate"
-- for each table that is absent; test and sample loaders run it after
-- testdata/db_tars.sql. Columns are only ever added to
-- this file, never renamed or dropped: migrate checks an existing table for them.
-- Statements end with ';' at the end of a line; lines starting with "--" are comments.

CREATE TABLE IF NOT EXISTS `t_subset_rule` (
  `servant` varchar(128) NOT NULL,
  `enable` char(1) NOT NULL DEFAULT 'N',
  `rule_type` varchar(16) NOT NULL DEFAULT '',
  `rule_data` text,
  `registry_timestamp` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`servant`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE IF NOT EXISTS `t_server_subset` (
  `application` varchar(128) NOT NULL,
  `server_name` varchar(128) NOT NULL,
  `node_name` varchar(50) NOT NULL,
  `subset` varchar(64) NOT NULL DEFAULT '',
  `registry_timestamp` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`application`,`server_name`,`node_name`),
  KEY `idx_registry_timestamp` (`registry_timestamp`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
