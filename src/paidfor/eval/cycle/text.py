"""Contract: what the ads of a cycle world say, and to whom (interest sets).

A ``Voice`` is a list of parts, each a tuple of sentence templates; saying something picks one
sentence per part, resolves ``[a|b|c]`` alternatives, fills ``{name}`` slots from the voice's
fill and sometimes adds hashtags or a vendor's boilerplate. Two accounts given the same parts
and different fills write near-duplicates (a template with the state swapped); accounts given
parts sampled independently from the banks write differently. ``ISSUES`` maps an issue to its
lean, the interests that target it and its pitch sentences. Every function takes the
``random.Random`` it draws from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from random import Random

_ALT = re.compile(r"\[([^\[\]]*)\]")

# issue -> (lean, interests, pitch sentences)
ISSUES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "schools": (
        "any",
        ("Education", "Teachers", "Parenting", "Public schools", "School board"),
        (
            "Our kids deserve [smaller classes|safe schools|great teachers] and "
            "[fair pay|real support] for the people who teach them.",
            "[Every|Each] child in {place} should [have|get] a [great|strong] public school "
            "close to home.",
            "Let's [fix|repair] the roofs, [not|instead of] raising the fees.",
        ),
    ),
    "health": (
        "D",
        ("Health care", "Medicare", "Nursing", "Affordable Care Act"),
        (
            "No family in {place} should [go broke|lose their home] over a hospital bill.",
            "[Protect|Defend] Medicare and [lower|cut] the cost of prescriptions.",
            "Rural hospitals are [closing|cutting services]. We can [keep them open|save them].",
        ),
    ),
    "economy": (
        "any",
        ("Small business", "Entrepreneurship", "Jobs", "Economics"),
        (
            "[Groceries|Rent|Gas] costs too much and [Washington|the capitol] isn't listening.",
            "Main Street [businesses|shops] in {place} [create|make] the jobs — let's "
            "[cut the red tape|back them].",
            "A [good|fair] job should pay enough to raise a family in {place}.",
        ),
    ),
    "guns": (
        "R",
        ("Second Amendment", "Hunting", "Gun rights", "Shooting sports"),
        (
            "The Second Amendment [is not negotiable|protects every other right].",
            "[Law-abiding|Responsible] gun owners in {place} are "
            "[tired of being blamed|not the problem].",
            "[Defend|Protect] our right to [hunt|keep and bear arms] this November.",
        ),
    ),
    "gun_safety": (
        "D",
        ("Gun safety", "Parenting", "Public safety", "Moms Demand Action"),
        (
            "[Background checks|Safe storage] [save lives|keep kids safe] — and most gun owners "
            "agree.",
            "No parent should [fear|worry about] sending their kid to school in {place}.",
            "We can [respect|protect] hunters and still [keep guns from|stop guns reaching] "
            "people who shouldn't have them.",
        ),
    ),
    "climate": (
        "D",
        ("Climate change", "Renewable energy", "Environmentalism", "Sustainability"),
        (
            "Clean energy jobs are [coming to|growing in] {place} — "
            "[let's keep it going|don't stop now].",
            "[Wildfire smoke|Flooding|Heat] is [hitting|costing] {place} "
            "[harder every year|more each summer].",
            "[Protect|Save] the [rivers|lakes|forests] we [grew up with|love] for our grandkids.",
        ),
    ),
    "border": (
        "R",
        ("Border security", "Immigration", "Law enforcement", "Conservatism"),
        (
            "A nation without [a border|borders] is not a nation.",
            "[Fentanyl|Cartels] [crossing|flooding across] the border [is|are] killing people "
            "in {place}.",
            "[Secure|Close] the border and [enforce|respect] the law.",
        ),
    ),
    "life": (
        "R",
        ("Pro-life movement", "Christianity", "Adoption", "Family"),
        (
            "Every life [is precious|has value], born and unborn.",
            "[Support|Stand with] moms who choose life in {place}.",
            "[Pray|Vote] for [life|the unborn] this November.",
        ),
    ),
    "choice": (
        "D",
        ("Reproductive rights", "Women's health", "Planned Parenthood", "Feminism"),
        (
            "[Politicians|Bureaucrats] [don't belong|have no place] in the exam room.",
            "Women in {place} [deserve|should have] the freedom to make their own health "
            "decisions.",
            "[Protect|Restore] reproductive freedom on the ballot this fall.",
        ),
    ),
    "veterans": (
        "any",
        ("Veterans", "United States Armed Forces", "Military", "VFW"),
        (
            "Our veterans [kept their promise|served] — [now|it's time] we keep ours.",
            "[Shorter waits|Better care] at the VA clinic in {place}.",
            "[Honor|Thank] those who served by [showing up|voting] this November.",
        ),
    ),
    "farms": (
        "any",
        ("Agriculture", "Farming", "Rural living", "Ranching"),
        (
            "Family farms [feed|carry] {place} — [trade deals|fuel costs] are "
            "[crushing|squeezing] them.",
            "[Fair prices|Clean water] for the farms that [built|feed] this state.",
            "[Keep|Help keep] rural [clinics|roads|schools] [funded|open].",
        ),
    ),
    "housing": (
        "any",
        ("Real estate", "Affordable housing", "Renting", "Homeownership"),
        (
            "Rent in {place} [went up|has climbed] [again|faster than paychecks].",
            "[Build|Let's build] homes [people can afford|working families can afford] in {place}.",
            "[Property taxes|Insurance premiums] are [pushing|forcing] seniors out of their homes.",
        ),
    ),
    "police": (
        "R",
        ("Police", "Law enforcement", "Public safety", "Neighborhood watch"),
        (
            "[Back|Support] the officers who keep {place} safe.",
            "[Crime|Car break-ins] [is|are] up and people in {place} [feel it|know it].",
            "[Fund|Fully fund] public safety — [no excuses|period].",
        ),
    ),
}

DIVISIVE: dict[str, tuple[str, ...]] = {
    "border": (
        "They [opened|threw open] the border and {place} [pays the price|is paying for it].",
        "Ask yourself who [really|actually] benefits from [open borders|mass migration].",
    ),
    "faith": (
        "[They|The elites] mock our faith and call us [backward|bigots].",
        "{place} was built by [believers|people of faith] — don't let them erase it.",
    ),
    "race": (
        "[Nobody|No one] in power [cares|ever cared] about [our|Black] neighborhoods in {place}.",
        "They only [show up|remember us] at election time. [Remember that.|Don't forget.]",
    ),
    "guns": (
        "First they [register|list] your guns, then they [take|come for] them.",
        "[Disarmed|Unarmed] people are [subjects|easy targets], not citizens.",
    ),
    "elites": (
        "The [media|politicians] [lie|lied] to {place} [again|every single day].",
        "[Wake up|Open your eyes], {place}: [both parties|the system] sold you out.",
    ),
    "police": (
        "[Our|The] police [were abandoned|got thrown under the bus] by the people they protect.",
        "[Defunding|Blaming] the police [left|made] {place} [less safe|a target].",
    ),
}
BAIT = (
    "Like and share if you agree!",
    "Type YES if you're with us.",
    "Share before they [delete|bury] this.",
    "Follow for what the news won't [tell|show] you.",
    "Tag a neighbor who needs to see this.",
)

CANDIDATE_OPEN = (
    "[I'm|My name is] {who}, and I'm running for {office} [to fight for|to stand up for|for] "
    "{place}.",
    "{who} for {office}: [a neighbor|someone] who [listens|shows up|gets things done].",
    "[This fall|On November 3], [vote|elect] {who} for {office}.",
    "{who} [knows|understands] {place} "
    "[because she lives here|because he grew up here|from the ground up].",
)
ASK = (
    "Chip in [$5|$10|$25] before the [deadline|end of the month].",
    "Early voting [starts|opens] October 19 — make a plan.",
    "[Join us|Sign up] to [knock doors|make calls] this weekend.",
    "Share this with a [neighbor|friend] who votes.",
    "Find your polling place and [vote|bring a friend].",
    "[Learn more|Read the plan] at the link.",
    "[Request|Return] your mail ballot [today|this week].",
    "Volunteer [today|now] — every hour counts.",
)
TRADE = (
    "[Spring|Summer|Holiday|Fall] sale at {who}: [20|25|30]% off [everything|storewide] this "
    "weekend.",
    "Visit {who} in {place} — [family owned|locally owned] since {year}.",
    "New [arrivals|menu|season] at {who}. [Stop by|Order online|Book now] today.",
    "{who} is hiring in {place}! [Apply|Apply online] [today|this week].",
    "[Thank you|Thanks], {place}, for [voting us|choosing us] the best in town.",
)
NEWS = (
    "{who}: [how|why] the {topic} fight is playing out in {place}.",
    "[Subscribe to|Support] {who} for [local|independent] election coverage.",
    "Read the {who} voter guide to the {place} races.",
    "[Tonight|This week] on {who}: the candidates for {office} answer your questions.",
)
ABROAD_TALK = {
    "en": (
        "{who} — [proudly|happily] serving {place}.",
        "[Visit|Support] {who} [this week|today].",
    ),
    "fr": (
        "{who} — au service de {place} depuis {year}.",
        "Rejoignez {who} [cette semaine|aujourd'hui].",
    ),
    "es": (
        "{who}, [orgullosamente|siempre] en {place}.",
        "[Visítanos|Apóyanos] [hoy|esta semana].",
    ),
    "de": (
        "{who} — für {place} seit {year}.",
        "[Besuchen|Unterstützen] Sie {who} [heute|diese Woche].",
    ),
}


@dataclass
class Voice:
    parts: list[tuple[str, ...]]
    fill: dict[str, str]
    tags: tuple[str, ...] = ()
    titles: tuple[str, ...] = ("Learn more",)
    sign: str = ""
    sign_rate: float = 0.0
    bait: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def say(self, rng: Random) -> str:
        sentences = [rng.choice(part) for part in self.parts]
        if self.bait and rng.random() < self.bait:
            sentences.append(rng.choice(BAIT))
        text = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), " ".join(sentences))
        text = text.format_map({**self.fill, **self.extra})
        if self.tags and rng.random() < 0.55:
            text += " " + " ".join(rng.sample(self.tags, rng.randint(1, min(3, len(self.tags)))))
        if self.sign and rng.random() < self.sign_rate:
            text += " " + self.sign
        return text

    def title(self, rng: Random) -> str:
        raw = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), rng.choice(self.titles))
        return raw.format_map({**self.fill, **self.extra})

    def with_fill(self, **fill: str) -> Voice:
        """The same template with some slots changed (a chapter's copy of its HQ's ad)."""
        return Voice(
            list(self.parts),
            {**self.fill, **fill},
            self.tags,
            self.titles,
            self.sign,
            self.sign_rate,
            self.bait,
        )


def _pick(rng: Random, bank: tuple[str, ...], lo: int, hi: int) -> tuple[str, ...]:
    return tuple(rng.sample(bank, min(len(bank), rng.randint(lo, hi))))


def campaign_voice(rng: Random, who: str, office: str, place: str, issues: list[str]) -> Voice:
    pitches: tuple[str, ...] = ()
    for issue in issues:
        pitches += _pick(rng, ISSUES[issue][2], 1, 2)
    tags = (f"#{who.split()[-1]}For{office.split()[0]}", "#Midterms2026", "#VoteLocal")
    return Voice(
        [_pick(rng, CANDIDATE_OPEN, 1, 3), pitches, _pick(rng, ASK, 1, 3)],
        {"who": who, "office": office, "place": place},
        _pick(rng, tags, 0, 2),
        ("{who} for {office}", "[Donate|Volunteer|Vote] {who}", "Meet {who}"),
    )


def cause_voice(rng: Random, who: str, place: str, issues: list[str], divisive: float) -> Voice:
    """An issue group, union, party or outlet's own voice; ``divisive`` is how often it
    borrows the lines the operations use."""
    pitches: tuple[str, ...] = ()
    for issue in issues:
        pitches += _pick(rng, ISSUES[issue][2], 1, 3)
    parts = [pitches, _pick(rng, ASK, 1, 3)]
    bait = 0.0
    if rng.random() < divisive:
        theme = rng.choice(sorted(DIVISIVE))
        parts.insert(0, DIVISIVE[theme])
        bait = 0.15
    tags = tuple(f"#{w}" for w in ("Vote2026", place.replace(" ", "") + "Votes", "StandUp"))
    return Voice(
        parts,
        {"who": who, "place": place},
        _pick(rng, tags, 0, 2),
        ("{who}", "[Take action|Act now|Sign on]", "[Join|Support] {who}"),
        bait=bait,
    )


def trade_voice(rng: Random, who: str, place: str, year: int) -> Voice:
    return Voice(
        [_pick(rng, TRADE, 2, 4)],
        {"who": who, "place": place, "year": str(year)},
        titles=("{who}", "Shop now", "[Book|Order] today"),
    )


def news_voice(rng: Random, who: str, place: str, office: str) -> Voice:
    topic = rng.choice(sorted(ISSUES))
    return Voice(
        [_pick(rng, NEWS, 2, 4)],
        {"who": who, "place": place, "topic": topic, "office": office},
        titles=("{who}", "Read more"),
    )


def abroad_voice(rng: Random, who: str, place: str, lang: str, year: int) -> Voice:
    return Voice(
        [ABROAD_TALK.get(lang, ABROAD_TALK["en"])],
        {"who": who, "place": place, "year": str(year)},
        titles=("{who}",),
    )


def interest_set(rng: Random, issues: list[str], extra: int = 0) -> tuple[str, ...]:
    """A sorted interest list for these issues (plus ``extra`` interests of other issues)."""
    chosen: dict[str, None] = {"Politics": None} if rng.random() < 0.4 else {}
    for issue in issues:
        for interest in _pick(rng, ISSUES[issue][1], 1, 3):
            chosen[interest] = None
    others = [i for name in sorted(ISSUES) for i in ISSUES[name][1] if i not in chosen]
    for interest in rng.sample(others, min(extra, len(others))):
        chosen[interest] = None
    return tuple(sorted(chosen))
