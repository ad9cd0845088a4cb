"""Deterministic benchmark data for the Leads service (Python 3 standard library only).

Everything here is a pure function of (seed, index): the same seed gives the same leads,
the same noise and the same activity plan on every machine, whatever the batch size.
"""

import bisect
import itertools
import json
import random
import re
import unicodedata
import zlib

MAIN_TENANT = "bench-tenant"
MAIN_WORKSPACE = "bench"

# Other tenants' and workspaces' rows ("noise"): the main tenant's other workspaces and a
# few other tenants, one of which reuses the workspace slug "bench" (unrelated by contract).
NOISE_TARGETS = [
    (MAIN_TENANT, "bench-archive"),
    (MAIN_TENANT, "bench-eu"),
    ("noise-tenant-1", "bench"),
    ("noise-tenant-2", "sales"),
    ("noise-tenant-3", "marketing"),
]
NOISE_FRACTION = 0.10

STATUSES = ["new", "contacted", "replied", "converted"]
STATUS_WEIGHTS = [45, 30, 17, 8]

ACTIVITY_TYPES = ["email_sent", "email_opened", "email_clicked", "email_replied", "email_bounced", "note"]
ACTIVITY_WEIGHTS = [35, 30, 12, 8, 5, 10]

# Frequency-ordered (most common first); a Zipf-like weight is applied, so "smith" and
# "james" are common and the tail is rare, as in real contact lists. A few non-ASCII
# names exercise case folding; their e-mail local parts are ASCII-fied.
FIRST_NAMES = """
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott
Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra
Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler
Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia Douglas Victoria Zachary
Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy Megan Christian
Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa
Austin Ann Carl Sara Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean
Bryan Abigail Billy Alice Joe Julia Bruce Judy Gabriel Sophia Logan Grace Albert Denise Willie
Amber Alan Doris Juan Marilyn Wayne Danielle Elijah Beverly Randy Isabella Roy Theresa Vincent
Diana Ralph Natalie Eugene Brittany Russell Charlotte Bobby Marie Mason Kayla Philip Alexis
Louis Lori José Zoë Chloé Renée Björn Jürgen Søren Ingrid Mateo Lucía Hiroshi Yuki Priya Arjun
Wei Mei Olga Dmitri Aleksandr Fatima Omar Amara Kwame Chidi Siobhan Niamh Pierre Amélie
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt
Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer
Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant
Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott
Müller Schäfer Núñez García Fernández Nguyễn Łukaszewicz Øberg Dubois Lefèvre Rossi Bianchi
Kowalski Novak Horvath Yamamoto Tanaka Sato Suzuki Wang Zhang Liu Singh Kumar Sharma Okafor
Mensah Ivanova Petrov O'Brien Murphy-Lee MacLeod
""".split()

COMPANY_HEADS = """
Acme Apex Blue Bright Cedar Cobalt Crest Delta Ember Evergreen Falcon Granite Harbor Helix
Horizon Iron Juniper Keystone Lumen Maple Meridian Nimbus Northwind Nova Oak Orbit Pioneer
Quantum Redwood Riverside Sable Silver Summit Terra Titan Vertex Willow Zenith Atlas Beacon
""".split()
COMPANY_TAILS = """
Analytics Labs Systems Solutions Partners Dynamics Logistics Health Capital Robotics Media
Networks Foods Energy Software Consulting Studios Works Bio Security Retail Cloud
""".split()
COMPANY_SUFFIXES = ["Inc", "LLC", "Ltd", "GmbH", "Corp", "Group", "", "", ""]
COMPANY_TLDS = ["com", "io", "co", "net", "de", "co.uk", "ai"]

FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me", "gmx.de"]
FREE_MAIL_WEIGHTS = [40, 18, 14, 8, 8, 6, 6]

TITLES = ["CEO", "CTO", "VP Sales", "Head of Marketing", "Engineer", "Product Manager", "Founder", "Buyer"]
SOURCES = ["webinar", "website", "referral", "conference", "cold_outreach", "partner", "ads"]
CITIES = ["New York", "London", "Berlin", "São Paulo", "Tokyo", "Lagos", "Toronto", "Sydney", "Paris"]


def _zipf_cumulative(count, skew=1.0, offset=20.0):
    return list(itertools.accumulate(1.0 / ((rank + offset) ** skew) for rank in range(count)))


_FIRST_CUM = _zipf_cumulative(len(FIRST_NAMES))
_LAST_CUM = _zipf_cumulative(len(LAST_NAMES))
_STATUS_CUM = list(itertools.accumulate(STATUS_WEIGHTS))
_MAIL_CUM = list(itertools.accumulate(FREE_MAIL_WEIGHTS))
_ACTIVITY_CUM = list(itertools.accumulate(ACTIVITY_WEIGHTS))


def _pick(rng, items, cumulative):
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def ascii_slug(text):
    """ASCII letters and digits of a name, lower-cased: the e-mail form of a name."""
    decomposed = unicodedata.normalize("NFKD", text).translate({ord("ł"): "l", ord("Ł"): "L", ord("ø"): "o", ord("Ø"): "O"})
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().lower())


def _rng(seed, stream, index):
    # One small generator per (seed, stream, index): deterministic regardless of batching.
    return random.Random(zlib.crc32(f"{seed}/{stream}".encode()) * 0x1_0000_0001 + index)


def lead(seed, stream, index):
    """The create body (without workspace_slug) of lead `index` of a stream.

    The e-mail ends with the index, so it is unique within the stream and the index can be
    read back from a listed lead (see index_of_email).
    """
    rng = _rng(seed, stream, index)
    first = _pick(rng, FIRST_NAMES, _FIRST_CUM)
    last = _pick(rng, LAST_NAMES, _LAST_CUM)
    f, l = ascii_slug(first), ascii_slug(last)
    company = None
    if rng.random() < 0.85:
        head, tail = rng.choice(COMPANY_HEADS), rng.choice(COMPANY_TAILS)
        suffix = rng.choice(COMPANY_SUFFIXES)
        company = f"{head} {tail} {suffix}".strip()
    if company and rng.random() < 0.45:
        domain = f"{head.lower()}{tail.lower()}.{rng.choice(COMPANY_TLDS)}"
    else:
        domain = _pick(rng, FREE_MAIL, _MAIL_CUM)
    pattern = rng.randrange(5)
    local = [f"{f}.{l}{index}", f"{f[0]}{l}{index}", f"{f}_{l}.{index}", f"{l}.{f}{index}", f"{f}{index}"][pattern]
    body = {"email": f"{local}@{domain}"}
    roll = rng.random()
    if roll < 0.92:  # most contacts have a name; a few only an e-mail or a first name
        body["first_name"] = first
        if roll < 0.88:
            body["last_name"] = last
    if company:
        body["company"] = company
    body["status"] = _pick(rng, STATUSES, _STATUS_CUM)
    if rng.random() < 0.8:
        attributes = {"source": rng.choice(SOURCES), "score": rng.randrange(101)}
        if rng.random() < 0.5:
            attributes["title"] = rng.choice(TITLES)
        if rng.random() < 0.3:
            attributes["location"] = rng.choice(CITIES)
        if rng.random() < 0.2:
            attributes["subscribed"] = rng.random() < 0.5
        body["attributes"] = attributes
    return body


_INDEX_RE = re.compile(r"(\d+)@")


def index_of_email(email):
    match = _INDEX_RE.search(email)
    return int(match.group(1)) if match else None


def activity_count(seed, index):
    """How many activities lead `index` of the main stream has: 0 to 5."""
    return _rng(seed, "activity-count", index).randrange(6)


def activities(seed, index):
    """The activity bodies of lead `index` of the main stream, oldest first."""
    rng = _rng(seed, "activities", index)
    result = []
    day = 1 + rng.randrange(200)
    for n in range(activity_count(seed, index)):
        day += rng.randrange(1, 10)
        kind = _pick(rng, ACTIVITY_TYPES, _ACTIVITY_CUM)
        month, mday = 1 + (day // 28) % 12, 1 + day % 28
        body = {
            "type": kind,
            "timestamp": f"2025-{month:02d}-{mday:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z",
        }
        if kind.startswith("email_"):
            body["campaign_id"] = f"cmp_{rng.randrange(1, 400)}"
            body["data"] = {"subject_variant": rng.choice("ABC"), "step": n + 1}
        else:
            body["data"] = {"text": "Called, left a voicemail", "duration_s": rng.randrange(30, 600)}
        result.append(body)
    return result


def noise_plan(total_rows):
    """(tenant, workspace, stream, count) for the noise rows, NOISE_FRACTION of total_rows."""
    noise = int(total_rows * NOISE_FRACTION)
    share, extra = divmod(noise, len(NOISE_TARGETS))
    return [
        (tenant, workspace, f"noise-{n}", share + (1 if n < extra else 0))
        for n, (tenant, workspace) in enumerate(NOISE_TARGETS)
    ]


def import_bodies(seed, stream, workspace, count, batch):
    """Yields (rows, body bytes) for POST /import, `batch` rows per request."""
    for start in range(0, count, batch):
        rows = [lead(seed, stream, i) for i in range(start, min(count, start + batch))]
        body = {"workspace_slug": workspace, "on_duplicate": "skip", "leads": rows}
        yield len(rows), json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
