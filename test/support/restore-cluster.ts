/**
 * The three-server embedded-etcd cluster `k3s-bot restore` is tested on (test/cli/restore.test.ts
 * with faked AWS clients, test/aws/etcd-restore-discovery.test.ts against the emulator): its
 * definition, its snapshot bucket and a snapshot in it.
 */
export const RESTORE_BUCKET = "k3s-bot-etcd-prod-20261129060000000000000001";
export const RESTORE_SNAPSHOT = "etcd-snapshot-ip-10-30-1-10-1764392402";

/** The cluster's definition up to its state settings; the tests add the datastore. */
export const PROD_BASE = [
  "name: prod",
  "region: eu-central-1",
  "network:",
  "  vpcCidr: 10.30.0.0/16",
  "  adminCidrs: [203.0.113.7/32]",
  "state:",
  "  bucket: acme-tfstate",
  "  lockTable: acme-k3s-bot",
  "",
].join("\n");

/** Three servers on embedded etcd: the cluster a snapshot can be restored on. */
export const PROD_ETCD = `${PROD_BASE}controlPlane:\n  count: 3\ndatastore:\n  engine: etcd\n`;
