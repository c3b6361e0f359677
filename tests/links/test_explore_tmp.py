import re, secrets, time
from collections import Counter
from werkzeug.routing.converters import AnyConverter
OBJ = {"project_id","asset_id","version_id","comment_id","client_id","user_id","participant_id","review_id","link_id","invitation_id","upload_id","message_id"}
def test_explore(app, two_worlds, principals):
    A, B = two_worlds.a, two_worlds.b
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    out = []
    t = time.time()
    n = 0
    ps = principals(A)
    form = {"body": "probe", "name": "Probe", "email": "probe@example.com", "verdict": "approved", "note": "n", "title": "t",
            "code": "123456", "label": "x", **{k: v for k, v in B.ids.items()}}
    for rule in sorted(rules, key=lambda r: r.rule):
        if not set(rule.arguments) & OBJ:
            continue
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            actions = [None]
            for a in rule.arguments:
                conv = rule._converters[a]
                if isinstance(conv, AnyConverter):
                    actions = sorted(conv.items)
            for action in actions:
                vals = {a: B.ids.get(a, "thumb" if a == "name" else action) for a in rule.arguments}
                none = {a: (987654 if isinstance(v, int) else ("f"*32 if a == "upload_id" else v)) for a, v in vals.items()}
                url = rule.build(vals, append_unknown=False)[1]
                nurl = rule.build(none, append_unknown=False)[1]
                for who, c in ps.items():
                    r = c.open(url, method=method, data=form if method == "POST" else None)
                    rn = c.open(nurl, method=method, data=form if method == "POST" else None)
                    n += 2
                    loc = r.headers.get("Location", "")
                    if (r.status_code, loc.split("?")[0]) != (404, "") and not loc.startswith("/account/login"):
                        out.append(f"{who:14} {method} {rule.endpoint:30} {url:50} {r.status_code} {loc[:40]} | none {rn.status_code}")
    print(n, "requests", time.time() - t)
    print("\n".join(out))
