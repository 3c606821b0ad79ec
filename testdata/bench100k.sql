-- The 100,000-row registry of the benchmarks: 20,000 servants x 5 nodes, one adapter each,
-- written an hour ago (dated at insert: an UPDATE would leave 200,000 old index entries
-- for InnoDB to purge). Needs MariaDB's sequence tables (seq_1_to_N).
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag, enable_group, enable_set, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250), 'active', 'active', 'active', 0, 'N', 'N', NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_20000 s, seq_1_to_5 n;
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250),
    CONCAT('App.S', s.seq, '.ObjAdapter'), CONCAT('App.S', s.seq, '.Obj'),
    CONCAT('tcp -h 10.0.', n.seq DIV 250, '.', n.seq MOD 250, ' -p ', 10000 + s.seq, ' -t 60000'), NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_20000 s, seq_1_to_5 n;
