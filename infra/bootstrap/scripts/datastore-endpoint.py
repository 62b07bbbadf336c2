"""Print k3s' datastore-endpoint config line from the RDS master user secret read on stdin.

The secret (JSON with username and password, managed by RDS) comes on stdin so the password is
never on a command line; the output goes straight to the root-only k3s config file. Both user
and password are percent-encoded because RDS-generated passwords contain URL metacharacters.
"""

import json
import sys
from urllib.parse import quote


def main() -> int:
    host, port, dbname = sys.argv[1:4]
    try:
        secret = json.load(sys.stdin)
        user, password = secret["username"], secret["password"]
    except (ValueError, KeyError, TypeError):
        print("k3s-bot: RDS secret is not JSON with username and password", file=sys.stderr)
        return 1
    url = "postgres://{}:{}@{}:{}/{}?sslmode=require".format(
        quote(user, safe=""), quote(password, safe=""), host, port, quote(dbname, safe="")
    )
    # JSON string quoting is valid YAML and escapes anything YAML would otherwise interpret.
    print("datastore-endpoint: " + json.dumps(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
