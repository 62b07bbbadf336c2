# Write k3s' datastore settings into its config file from the RDS master user secret on stdin.
#
# Usage: datastore-endpoint.py <config-file> <ca-file> <host> <port> <dbname> < secret.json
#
# The secret (JSON with username and password, managed and rotated by RDS) comes on stdin so the
# password is never on a command line. The config file keeps every other line; its
# `datastore-endpoint` and `datastore-cafile` lines are replaced, through a 0600 temporary file
# renamed over it, so k3s never reads a half-written file. Prints "changed" when the settings
# differ from what the file held (the password was rotated), otherwise "unchanged".
#
# TLS: sslmode=verify-full with the RDS CA bundle as k3s' datastore-cafile, which kine passes to
# the PostgreSQL driver as sslrootcert (k3s-io/kine pkg/drivers/pgsql/pgsql.go, prepareDSN, at
# v0.13.19 and v0.14.3): the server's certificate must chain to an RDS CA and name the host.


import json
import os
import sys
import tempfile
from urllib.parse import quote

KEYS = ("datastore-endpoint:", "datastore-cafile:")


def main() -> int:
    config, cafile, host, port, dbname = sys.argv[1:6]
    try:
        secret = json.load(sys.stdin)
        user, password = secret["username"], secret["password"]
    except (ValueError, KeyError, TypeError):
        print("k3s-bot: RDS secret is not JSON with username and password", file=sys.stderr)
        return 1
    url = "postgres://{}:{}@{}:{}/{}?sslmode=verify-full".format(
        quote(user, safe=""), quote(password, safe=""), host, port, quote(dbname, safe="")
    )
    # JSON string quoting is valid YAML and escapes anything YAML would otherwise interpret.
    wanted = [
        "datastore-endpoint: " + json.dumps(url),
        "datastore-cafile: " + json.dumps(cafile),
    ]
    with open(config, encoding="utf-8") as current:
        lines = current.read().splitlines()
    kept = [line for line in lines if not line.startswith(KEYS)]
    held = [line for line in lines if line.startswith(KEYS)]
    directory = os.path.dirname(config)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".config.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(kept + wanted) + "\n")
        os.replace(tmp, config)
    except BaseException:
        os.unlink(tmp)
        raise
    print("unchanged" if held == wanted else "changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
