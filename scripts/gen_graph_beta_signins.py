#!/usr/bin/env python3
"""Generates a Graph beta sign-in export (one `value` page) of about TARGET bytes for the
parse benchmark: python3 scripts/gen_graph_beta_signins.py OUT.json 1100000000
Records are the first fixture of crates/ingest/tests/fixtures/signin/graph_beta_page.json
with a fresh Request ID, matching uti, time and IP. Run from the repository root."""
import json, uuid, base64, random, sys
random.seed(1)
out = open(sys.argv[1], 'w')
target = int(sys.argv[2])
tmpl = json.load(open('crates/ingest/tests/fixtures/signin/graph_beta_page.json'))['value'][0]
out.write('{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns","value":[\n')
n = 0; size = 0
while size < target:
    r = dict(tmpl)
    g = uuid.UUID(int=random.getrandbits(128), version=4)
    r['id'] = str(g)
    r['uniqueTokenIdentifier'] = base64.urlsafe_b64encode(g.bytes_le).decode().rstrip('=')
    r['createdDateTime'] = '2024-06-%02dT%02d:%02d:%02d.%07dZ' % (1 + n % 28, n % 24, n % 60, (n * 7) % 60, n % 10000000)
    r['ipAddress'] = '198.51.%d.%d' % (n % 256, (n // 256) % 256)
    s = json.dumps(r)
    if n: out.write(',\n')
    out.write(s); size += len(s) + 2; n += 1
out.write('\n]}\n')
print(n, size)
