"""A generated demo archive: realistic enough to read, deterministic enough to measure.

Everything comes from `random.Random` instances seeded from `--seed` (never the global
generator, never the clock), so the same seed and size give the same archive. Prose is
built from the word lists below with a Zipf-distributed vocabulary, so search benchmarks
see rare, medium and common words the way real fiction has them. Building sentences one
word at a time would be far too slow for millions of paragraphs, so `Prose` builds pools
of sentences once per seed and chapters sample from them.

Stories are planned by `StoryWriter.write(index)` from their index alone: no database,
no shared state, so worker processes can write them in parallel and the result never
depends on how many there were. The rows are inserted with `bulk_create`; the caller
then refreshes the denormalized counts through `fanfold recount`.
"""

import html
import itertools
import multiprocessing
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password

from fanfold.accounts.models import Profile, User
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    SeriesItem,
    Status,
    Story,
    StoryAuthor,
)
from fanfold.community.models import Favorite, Review
from fanfold.lib.markup import html_to_text, plain_to_html, sanitize, word_count
from fanfold.lib.names import name_key, sort_key
from fanfold.lib.progress import ProgressBar

# All dates lie in the years before this moment, so a seed gives the same dates every day.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY = timedelta(days=4 * 365)

DEMO_PEN_NAME = "Demo Author"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"

BATCH_SIZE = 1000  # rows per INSERT statement
STORIES_PER_BATCH = 250  # about 1,300 chapters, a few megabytes of text in memory

# --- Word lists -------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# Each list runs from common to rare: a word's place in its list is its Zipf rank.

NOUNS = words("""
door hand room light night voice house face window road sea river letter fire rain city
garden wall table book key stair bridge tower forest field morning evening silence shadow
moon star sky storm wind snow stone glass lantern candle map coat cup blade chair bed floor
roof corridor gate harbour market street bell clock mirror ring crown cloak rope boat shore
cliff valley hill path village castle chapel library kitchen cellar train station ticket
envelope photograph song dream memory promise secret question answer truth heart breath
shoulder smile whisper name story word page ink pen desk drawer box chest coin sword shield
arrow bow horse cart wheel fence field orchard apple bread salt wine tea kettle spoon plate
knife fork bottle jar thread needle button sleeve collar scarf glove hat boot lace ribbon
feather nest branch root leaf flower thorn petal seed moss fern reed pond lake island
harbourmaster sailor captain soldier guard queen king prince princess healer scholar thief
witch ghost dragon wolf fox raven owl crow cat dog sparrow moth beetle spider hound stag
mountain ridge glacier desert dune marsh meadow bog heath moor quarry mine forge anvil hammer
chain lock hinge latch shutter curtain blanket pillow quilt rug hearth chimney ash ember smoke
spark flame lamp torch beacon signal compass anchor sail mast deck hull oar tide wave current
reef lighthouse pier dock warehouse tavern inn cottage manor palace temple shrine altar grave
tomb crypt bone skull blood scar bruise wound bandage fever cough medicine remedy poison
potion spell charm curse rune sigil omen prophecy riddle puzzle game card dice wager debt
bargain treaty war battle siege truce banner drum trumpet flute violin piano melody chorus
café façade soirée fiancée résumé piñata smörgåsbord naïveté rendezvous
astrolabe reliquary cormorant palimpsest samovar marquetry bellwether ossuary lodestone
sextant orrery gazetteer portmanteau chiaroscuro filigree verdigris quicksilver tesseract
""")

ADJECTIVES = words("""
old dark small quiet cold long bright empty heavy narrow soft pale warm broken silver golden
wet grey tired strange familiar distant careful sudden thin wide low high faint hollow
crooked sharp gentle bitter sweet salt green blue red black white wild still last first
little great young ancient secret hidden lost forgotten quiet stubborn patient brave foolish
clever kind cruel honest hungry restless sleepless weary bright steady trembling golden
frozen burning drowned tangled frayed scarred polished rusted gilded shattered silent loud
endless brief sudden slow quick careful reckless tender fierce proud lonely crowded
half-remembered well-worn rain-soaked moonlit sunlit star-bright bone-white blood-red
iridescent crepuscular labyrinthine gossamer vermilion halcyon mercurial sepulchral
""")

# Past tense, taking an object: "{X} opened the door".
TRANSITIVE_VERBS = words("""
opened closed found lost held took carried pushed pulled watched touched followed kept left
reached crossed lit broke fixed read wrote folded dropped caught lifted turned counted
studied mended burned buried hid shared traded stole returned answered ignored remembered
forgot noticed offered refused sealed unlocked polished sharpened traced painted sketched
tuned wound steadied gathered scattered
""")

# Past tense, without an object: "the lantern flickered".
INTRANSITIVE_VERBS = words("""
waited stood laughed paused nodded sighed listened turned stopped moved fell woke slept
shivered hesitated smiled frowned swore breathed flickered trembled shifted settled
vanished returned lingered wandered drifted stumbled knelt sang wept whispered faltered
creaked rattled hummed glowed darkened cleared softened hardened sank rose
""")

ADVERBS = words("""
slowly quietly carefully suddenly finally softly again almost barely already gently quickly
still once never always nearly simply only perhaps certainly badly rather somehow anyway
sharply faintly warily fondly grimly wryly stubbornly absently
""")

PREPOSITIONS = words("""
across through into toward beneath beside behind over under along past against around near
""")

# Verbal nouns for part headings: "Part Six: The Crossing".
GERUNDS = [
    "Crossing", "Leaving", "Reckoning", "Gathering", "Drowning", "Waking", "Turning",
    "Homecoming", "Unraveling", "Burning", "Mending", "Thaw", "Return", "Long Night",
    "Descent", "Vigil", "Harvest", "Tide", "Reunion", "Departure", "Breaking",
]  # fmt: skip

PLACES = [
    "Greywater", "Thornholt", "Malmö", "Ærøskøbing", "São Vicente", "Kraków", "Reykjavík",
    "Île Verte", "Saltmarsh", "Kestrel Point", "the Hollows", "the northern pass",
    "Ashby-under-Wold", "Zürich", "Łódź", "the old quarter", "Brennock", "Vallerey",
]  # fmt: skip

TIME_PHRASES = [
    "By morning,", "Later,", "For a long moment,", "Somewhere below,", "Outside,",
    "That night,", "After a while,", "Before dawn,", "In the end,", "By the third day,",
    "Long after midnight,", "All that winter,", "Afterwards,", "Just before the rain,",
]  # fmt: skip

SPEECH_TAGS = [
    "said", "whispered", "muttered", "murmured", "called", "snapped", "admitted",
    "replied", "breathed", "insisted", "added", "laughed",
]  # fmt: skip

# {X} and {Y} stand for the story's two main characters; they are filled in per story.
NARRATION = [
    "{X} {VT} the {A} {N}.",
    "The {N} {VI} {D}.",
    "{TIME} {X} {VI} {P} the {N}.",
    "{X} {VT} the {N} and {VI}.",
    "The {A} {N} {VI} {P} the {N}, {A} and {A}.",
    "Somewhere {P} the {N}, a {N} {VI}.",
    "{Y} {VT} the {N} — or what was left of it — and {VI}.",
    "{X} {VT} the {N}—then {VI}.",
    "The {N} was {A}; the {N} was {A}.",
    "There was a {N} {P} the {N}, {A} with {N}.",
    "Nobody {VT} the {N} after that.",
    "{X} {VT} {Y}’s {N} {D}.",
    "For a moment, neither of them {VI}.",
    "The {N} smelled of {N} and {N}.",
    "{X} {VT} the {N} {P} {PL}.",
    "It was {A} in {PL} that winter.",
    "The letter from {PL} {VI} on the {N}.",
    "Outside, the {N} {VI} and the {N} {VI}.",
    "{X} thought of {Y}, and of the {A} {N} {P} the {N}.",
    "By the time the {N} {VI}, {X} was already {P} the {N}.",
    "Everything {VI}…",
    "’Til then, the {N} would have to wait.",
    "{Y} {VI} {D}, and the {N} {VI} with {Y}.",
    "{X}’s {N} was {A}, {A}, {D} {A}.",
    "The {N} {P} the {N} had been {A} for years.",
    "{Y} {VT} the {N}, {VT} the {N}, and {VI}.",
    "It wasn’t the {N} that {X} {VT}; it was the {N}.",
    "The {A} {N} — {A}, {A} — {VI} {P} the {N}.",
    "{X} {VI}. {Y} {VI}. The {N} {VI}.",
    "In {PL}, the {N} was always {A}.",
    "{TIME} the {N} {VI}, and {X} {VT} the {A} {N}.",
    "Someone {VT} the {N} in the night.",
    "{X} didn’t look at the {N}.",
    "The {N} was {A} enough, {D}.",
    "{Y} kept the {N} {P} the {N}, where nobody would look.",
    "The road to {PL} was {A} and {A}, and {X} {VI} twice before the {N}.",
    "{Y} had a way of making the {N} seem {A}.",
    "When the {N} finally {VI}, it was {D} {A}.",
    "{X} counted under their breath: one {N}, two, three…",
    "It had been a {A} year for the {N}.",
    "{Y} {VT} the {N} without a word.",
    "The {N} in the {N} was {A}, which was {A} in itself.",
    "{X} wanted to say something about the {N}. {X} {VI} instead.",
    "Nobody in {PL} {VT} the {A} {N} anymore.",
    "There was a {A} {N} everywhere — on the {N}, {P} the {N}, even in the {N}.",
    "Of everything in {PL}, {Y} {VT} the {N}.",
    "The {N} and the {N}, and then, {D}, the {N}.",
    "{X} {VI} {P} the {N} ’til the {N} {VI}.",
    "Later — much later — {Y} would remember the {N}.",
    "{X} {VT} the {N}. It was {A}. Of course it was.",
]  # fmt: skip

UTTERANCES = [
    "I don’t know",
    "We should go back",
    "You can’t be serious",
    "Stay ’til morning",
    "It’s only a {N}",
    "Give me the {N}",
    "I’ve seen this {N} before",
    "That’s not what I meant…",
    "You were supposed to bring the {N}",
    "Tell {Y} I’m sorry",
    "It won’t hold",
    "Not ’til the {N} is {A}",
    "I’m not leaving without {Y}",
    "Wait…",
    "We’ll need a {A} {N} and a lot of luck",
    "Don’t — just don’t",
    "The {N} is {A}, isn’t it",
    "I can't do this again",
    "You don't get to decide that",
    "It's {A}. It's always been {A}",
    "Where's the {N}",
    "Ask me again tomorrow",
    "I kept the {N}. I kept all of it",
    "You came back",
    "It’s not the {N}, it’s you",
    "Everyone in {PL} knows",
]  # fmt: skip

DIALOGUE = [
    "“{U},” {X} {TAG}.",
    "“{U},” {Y} {TAG}, {D}.",
    '"{U}," {Y} {TAG}.',
    '"{U}," {TAG} {X}.',
    "“{U}.”",
    "“{U}?” {X} asked.",
    "{X} {VI} {D}. “{U}.”",
    "“{U}—” “{U}.”",
    '"{U}…" {X} trailed off.',
    "“{U},” {X} {TAG}. “{U}.”",
]  # fmt: skip

THOUGHTS = [
    "<em>This is a mistake,</em> {X} thought.",
    "<em>Don’t look back.</em>",
    "<em>Breathe.</em>",
    "<em>It was never about the {N},</em> {Y} thought.",
    "<em>{Y} would know what to do.</em>",
    "<em>Just one more {N}.</em>",
    "<em>Please let it be {A}.</em>",
    "<em>Not now. Not ’til {Y} comes back.</em>",
    "<em>Of course it’s the {N},</em> {X} thought, {D}.",
]  # fmt: skip

TITLES = [
    "The {A} {N}", "{N} and {N}", "A {N} for {Y}", "What the {N} Knew", "’Til the {N} {VI}",
    "Under a {A} {N}", "Of {N} and {N}", "The {N} at {PL}", "{X}’s {N}", "Everything {A}",
    "The Last {N}", "{A} and {A}", "Letters from {PL}", "Where the {N} {VI}",
    "A {A} Kind of {N}", "Before the {N}", "{N}, {N}, {N}",
]  # fmt: skip

CHAPTER_TITLES = [
    "The {A} {N}", "{N}", "In Which {X} {VT} a {N}", "Interlude: {N}", "{A} Morning",
    "{PL}", "The {G}", "{Y}", "Ashes and {N}", "Say Nothing", "What {Y} Saw", "{N} (Reprise)",
]  # fmt: skip

SUMMARIES = [
    "When {X} finds a {A} {N} {P} the {N}, nothing in {PL} stays the same.",
    "{X} has one rule: never go back to {PL}. {Y} has other plans.",
    "Five times {X} {VT} the {N}, and one time {Y} did.",
    "A {A} story about {N}, {N} and what {Y} left behind…",
    "After the war, {X} keeps a {N} in the window. {Y} notices.",
    "{Y} didn’t ask for a {N}. {X} didn’t ask for {Y}. Somehow it works — mostly.",
    "Modern AU. {X} runs a café in {PL}; {Y} keeps ordering the wrong thing.",
    "The {N} is {A}, the road is long, and {X} is running out of time.",
]  # fmt: skip

STORY_NOTES = [
    "Written for a prompt about {N} and {N}. Thanks to {B} for the beta!",
    "This started as a one-shot and got away from me. Updates every other week, more or less.",
    "Canon divergence after the {A} {N} arc.",
    "Title from a song I can’t stop listening to.",
    "Not beta-read; all mistakes are mine.",
]  # fmt: skip

CHAPTER_NOTES = [
    "Thank you for all the lovely reviews! This chapter fought me every step of the way…",
    "Content note: {A} themes and a {A} {N}. Take care of yourselves.",
    "A shorter one this week — the next chapter makes up for it, I promise.",
    "Huge thanks to {B}, who read this three times and still laughed at the {N} joke.",
    "We’re back in {PL}! I’ve been waiting to write this scene since chapter one.",
    "Warning for a {A} cliffhanger. Sorry (not sorry).",
    "Part of this was written on a train to {PL}, which explains a lot.",
]  # fmt: skip

END_NOTES = [
    "Next time: {Y} and the {N}. Let me know what you think!",
    "Thank you for reading — reviews make my week.",
    "The {N} scene was inspired by a real {N} I saw in {PL}.",
    "I’m on holiday ’til the end of the month, so the next update may be late.",
    "If you spotted the reference, you have excellent taste.",
]  # fmt: skip

REVIEWS = [
    "Oh, I loved this! The bit with {X} and the {N} — perfect.",
    "“{U}” — that line wrecked me.",
    "Can’t wait ’til the next update…",
    "Great chapter, but I was a little confused about the {N}. Was that the same one from {PL}?",
    "{Y}’s scenes are always my favorite. More {Y}, please!",
    "I stayed up far too late reading this. No regrets.",
    "The pacing here is {A}. You really know how to write {X}.",
    "Why would you do this to me?? (Please update soon.)",
    "This is the {A} {N} fic I didn't know I needed.",
    "Re-reading this for the third time and I still notice new things.",
    "Short review because I'm at work, but WOW.",
]  # fmt: skip

RESPONSES = [
    "Thank you so much! {Y} was hard to write in this one.",
    "Thanks for reading — more soon, I promise.",
    "Aww, thank you ♥ The {N} will be back, don’t worry.",
    "You caught that! Yes, it’s the same {N}.",
    "Your reviews keep me going. Thank you!",
]  # fmt: skip

FAVORITE_COMMENTS = [
    "Re-read this every winter.", "Comfort read.", "Perfect slow burn.",
    "The one with the {N}!", "Best {X} characterisation in the fandom.",
    "Made me cry on a train.", "For when I need something {A}.",
]  # fmt: skip

BIOS = [
    "Writing about {F} since forever. Tea, rain and far too much angst.",
    "Hobbyist writer, full-time {N} enthusiast. Reviews are always welcome!",
    "I mostly write {F}. Sometimes I finish things.",
    "She/her. Slow updates, long stories, happy endings (eventually).",
    "Lurker turned writer. Say hi!",
]  # fmt: skip

REVIEW_STARS = (5, 6, 7, 8, 8, 9, 9, 10, 10, 10)  # eFiction's 1–10 stars; readers are kind

ANONYMOUS_NAMES = [
    "Guest", "a lurker", "Mireille", "anon", "Kasia", "night-owl reader", "Björn (no account)",
    "Tomás", "a fan from Łódź", "J.",
]  # fmt: skip

# Pen names first in the list are the most prolific authors, so small demos have them.
FIXED_PEN_NAMES = [
    DEMO_PEN_NAME, "Zoë Lindqvist", "Søren", "Ana Lucía", "Αθηνά Παππά", "Дарья Соколова",
    "美咲", "inkwell_dreamer",
]  # fmt: skip

FIRST_NAMES = words("""
Zoë Søren Björn Łucja Mira Theo Ines Kasimir Elodie Rafael Noor Ingrid Tomasz Aurelio Felix
Hana Dmitri Ysolde Niamh Oskar Amara Jonah Leif Priya Mateo Sunniva Cormac Rosalind Émile
Anaïs Jürgen Małgorzata Siobhán Ayşe Nikolaj Wren Iris Caspian Lotte Ezra Freya
""")

LAST_NAMES = words("""
Lindqvist Marchetti Okafor Dahl Nowak Castellanos Whitlock Brennan Ashdown Kovač Ferreira
Haldane Sørensen Grünewald Moreau Varga Solberg Haddad Roux Ishikawa Novák Quinlan Abernathy
""")

HANDLE_PARTS = words("""
ink moth lantern quill fern thistle moon paper tide ember raven teacup willow starling
comet velvet bramble harbour juniper maple ghost
""")

SYLLABLES = words("""
bram cor dun el fen gal hol ith kes lorn mar nev or pell quen ros sil tarn ul vess wyn yr
zan ael brin cael dor eth fal gorm hael
""")

# Invented fandoms: (name, sub-categories, characters). Characters are named in the text
# by their first name, or by their surname after a title such as "Captain".
FANDOMS = [
    ("The Lantern Court", ["Books", "Animated Series"],
     ["Zoë Marchetti", "Søren Dahl", "Queen Ysolde", "Captain Björn Ask", "Łucja Nowak",
      "Tobias Wren", "Mira Okafor"]),
    ("Starfall Academy", ["Year One", "The Exile Arc", "Alternate Universe"],
     ["美咲", "Headmistress Varga", "Rafael Castellanos", "Ingrid Solberg", "Noor Haddad",
      "Felix Ashdown", "Professor Émile Roux"]),
    ("Northwind Chronicles", [],
     ["Leif Haldane", "Sunniva Brennan", "Cormac Quinlan", "Amara Ferreira", "Oskar Kovač"]),
    ("Hollowmere", ["Season One", "Season Two"],
     ["Rosalind Whitlock", "Ezra Moreau", "Iris Grünewald", "Jonah Abernathy", "Hana Ishikawa",
      "Caspian Novák"]),
    ("Glass Harbour", [],
     ["Ines Ferreira", "Nikolaj Sørensen", "Lotte Dahl", "Mateo Marchetti"]),
    ("Ember & Ash", ["Canon Era", "Modern AU"],
     ["Freya Ashdown", "Kasimir Varga", "Siobhán Quinlan", "Aurelio Roux", "Priya Haddad"]),
    ("Северный ветер", [],
     ["Алёна", "Кирилл", "Ярослава", "Матвей"]),
    ("The Clockwork Meridian", ["Prequel Comics"],
     ["Anaïs Moreau", "Jürgen Solberg", "Ayşe Kovač", "Theo Whitlock", "Małgorzata Nowak"]),
    ("Saltwind", [],
     ["Niamh Brennan", "Dmitri Haldane", "Elodie Okafor"]),
    ("Original Fiction", ["Fantasy", "Science Fiction", "Contemporary"],
     ["Wren", "Caspian", "Mira", "Jonah"]),
]  # fmt: skip

TITLE_WORDS = {"Queen", "Captain", "Headmistress", "Professor"}

RATINGS = [
    # name, share of stories, shows_warning, needs_consent, warning text
    ("K", 15, False, False, ""),
    ("K+", 20, False, False, ""),
    ("T", 35, False, False, ""),
    ("M", 20, True, False,
     "This story is rated M: it may contain violence, strong language and mature themes."),
    ("MA", 10, True, True,
     "This story is for adults only. Continue only if you are 18 or older."),
]  # fmt: skip

CLASSIFICATIONS = {
    "Genre": [
        "Adventure", "Angst", "Drama", "Fluff", "Friendship", "Humor", "Hurt/Comfort",
        "Mystery", "Romance", "Horror", "Slice of Life", "Tragedy",
    ],
    "Warning": [
        "No Archive Warnings Apply", "Graphic Violence", "Major Character Death",
        "Sexual Content", "Self-Harm",
    ],
    "Pairing": ["Gen", "Het", "Slash", "Femslash", "Multi"],
}  # fmt: skip

# How many chapters stories have, as weights for 1, 2, … 12 chapters (mean about 5.3).
CHAPTER_COUNT_WEIGHTS = [20, 8, 9, 9, 9, 9, 8, 7, 6, 5, 5, 5]

NUMBER_WORDS = words("""
Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen
Sixteen Seventeen Eighteen Nineteen
""")
TENS_WORDS = words("_ _ Twenty Thirty Forty Fifty Sixty Seventy Eighty Ninety")


def number_word(n: int) -> str:
    """1 → "One", 42 → "Forty-Two": part headings are written out, as authors do."""
    if n < 20:
        return NUMBER_WORDS[n]
    tens, ones = divmod(n, 10)
    return TENS_WORDS[tens] + (f"-{NUMBER_WORDS[ones]}" if ones else "")


def text_name(character: str) -> str:
    """How the prose calls a character: "Zoë Marchetti" → "Zoë", "Queen Ysolde" → "Ysolde"."""
    parts = character.split()
    return parts[-1] if parts[0] in TITLE_WORDS else parts[0]


def zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    """Cumulative weights so that rank r is drawn about 1/r**exponent as often as rank 1."""
    return list(itertools.accumulate(1 / rank**exponent for rank in range(1, count + 1)))


def html_from_plain(text: str) -> str:
    """Author text the way the posting form stores it: paragraphs, then the allowlist."""
    return sanitize(plain_to_html(text))


# --- Prose ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    html: str
    words: int


class Vocabulary:
    """Fills template slots with Zipf-distributed words; invented words form the rare tail.

    A Zipf curve over thousands of nouns would make every third noun an invented one; real
    prose has far fewer, so the invented tail gets a fixed small share of noun slots.
    """

    SLOT = re.compile(r"\{(\w+)\}")
    INVENTED_SHARE = 0.04

    def __init__(self, rng: random.Random, invented_words: int = 4000):
        invented = sorted(self._invent(rng, invented_words))
        rng.shuffle(invented)
        self.lists: dict[str, Sequence[str]] = {
            "N": NOUNS,
            "INVENTED": invented,
            "A": ADJECTIVES,
            "VT": TRANSITIVE_VERBS,
            "VI": INTRANSITIVE_VERBS,
            "D": ADVERBS,
            "P": PREPOSITIONS,
            "G": GERUNDS,
            "PL": PLACES,
            "TIME": TIME_PHRASES,
            "TAG": SPEECH_TAGS,
            "U": UTTERANCES,
            "B": FIRST_NAMES,
        }
        self.weights = {slot: zipf_weights(len(words)) for slot, words in self.lists.items()}

    @staticmethod
    def _invent(rng: random.Random, count: int) -> set[str]:
        invented: set[str] = set()
        while len(invented) < count:
            invented.add("".join(rng.choices(SYLLABLES, k=rng.choice((2, 2, 3)))))
        return invented

    def word(self, rng: random.Random, slot: str) -> str:
        if slot == "N" and rng.random() < self.INVENTED_SHARE:
            slot = "INVENTED"
        return rng.choices(self.lists[slot], cum_weights=self.weights[slot])[0]

    def fill(self, rng: random.Random, template: str, capitalize: bool = False) -> str:
        """Replace every slot with a fresh word; {X}, {Y}, {F} stay for the story to fill."""

        def replace(match: re.Match) -> str:
            slot = match.group(1)
            if slot in ("X", "Y", "F"):
                return match.group(0)
            word = self.word(rng, slot)
            if slot == "U":
                word = self.fill(rng, word)
            return word[:1].upper() + word[1:] if capitalize else word

        filled = self.SLOT.sub(replace, template)
        # An utterance that ends in an ellipsis needs no more punctuation after it.
        return filled.replace("….", "…").replace("…,", "…")


@dataclass(frozen=True)
class Cast:
    """Who {X} and {Y} are in a story's text, and which fandom {F} is."""

    x: str
    y: str
    fandom: str

    def fill(self, text: str) -> str:
        return text.replace("{X}", self.x).replace("{Y}", self.y).replace("{F}", self.fandom)

    def fill_html(self, markup: str) -> str:
        return (
            markup.replace("{X}", html.escape(self.x))
            .replace("{Y}", html.escape(self.y))
            .replace("{F}", html.escape(self.fandom))
        )


# Short pieces of author text, rendered to HTML once per seed and reused with each cast.
SNIPPETS = {
    "summary": SUMMARIES,
    "story notes": STORY_NOTES,
    "chapter notes": CHAPTER_NOTES,
    "end notes": END_NOTES,
    "review": REVIEWS,
    "response": RESPONSES,
    "bio": BIOS,
}


class Prose:
    """Pools of generated text for one seed, and chapters sampled from them.

    Building a sentence costs far more than picking one, and a 100,000-story demo needs
    some 40 million sentences: so sentences (and short snippets such as notes and reviews,
    already rendered to HTML) are made once here and sampled by every story.
    """

    def __init__(
        self, seed: int, narration: int = 40_000, dialogue: int = 16_000, snippets: int = 300
    ):
        rng = random.Random(f"{seed}:prose")
        self.vocabulary = Vocabulary(rng)
        self.narration = self._sentences(rng, NARRATION, narration)
        self.dialogue = self._sentences(rng, DIALOGUE, dialogue)
        self.thoughts = self._sentences(rng, THOUGHTS, dialogue // 8)
        self.snippets = {
            kind: [
                html_from_plain(self.vocabulary.fill(rng, rng.choice(templates)))
                for _ in range(snippets)
            ]
            for kind, templates in SNIPPETS.items()
        }
        self.favorite_comments = [
            self.vocabulary.fill(rng, rng.choice(FAVORITE_COMMENTS)) for _ in range(snippets)
        ]

    def _sentences(self, rng: random.Random, templates: list[str], size: int) -> list[Sentence]:
        pool = []
        for _ in range(size):
            text = self.vocabulary.fill(rng, rng.choice(templates))
            pool.append(Sentence(text, word_count(re.sub(r"<[^>]+>", "", text))))
        return pool

    def chapter_html(self, rng: random.Random, cast: Cast, parts: Iterator[int] | None) -> str:
        """About 1,000 words of paragraphs; part headings when the story is told in parts."""
        target = min(2400, max(250, int(rng.gauss(1000, 280))))
        blocks = []
        if parts is not None:
            blocks.append(self._part_heading(rng, next(parts)))
        words = 0
        choices, narration = rng.choices, self.narration
        while words < target:
            roll = rng.random()
            # (int(random() * n) is randint(0, n - 1) at a fraction of the cost.)
            if roll < 0.6:  # narration, 4 to 8 sentences
                sentences = choices(narration, k=4 + int(rng.random() * 5))
            elif roll < 0.93:  # a line of dialogue, perhaps with some narration
                sentences = choices(self.dialogue) + choices(narration, k=int(rng.random() * 3))
            else:  # a thought
                sentences = choices(self.thoughts) + choices(narration, k=int(rng.random() * 2))
            words += sum([sentence.words for sentence in sentences])
            blocks.append("<p>" + " ".join(sentence.html for sentence in sentences) + "</p>")
            if words < target and roll > 0.985:
                blocks.append("<hr>")
            if parts is not None and words < target and rng.random() < 0.015:
                blocks.append(self._part_heading(rng, next(parts)))
        return cast.fill_html("\n".join(blocks))

    @staticmethod
    def _part_heading(rng: random.Random, number: int) -> str:
        name = rng.choice(GERUNDS) if rng.random() < 0.7 else rng.choice(NOUNS[:60]).title()
        return f"<h3>Part {number_word(number)}: The {name}</h3>"

    def html(self, rng: random.Random, kind: str, cast: Cast) -> str:
        """A short piece of author HTML: a summary, notes, a review…"""
        return cast.fill_html(rng.choice(self.snippets[kind]))

    def favorite_comment(self, rng: random.Random, cast: Cast) -> str:
        return cast.fill(rng.choice(self.favorite_comments))

    def title(self, rng: random.Random, templates: list[str], cast: Cast) -> str:
        # Titles are few and short, so they get fresh words rather than pooled ones.
        return cast.fill(self.vocabulary.fill(rng, rng.choice(templates), capitalize=True))[:200]


# --- Planning one story -----------------------------------------------------------------


@dataclass
class Fandom:
    name: str
    category_ids: list[int]
    characters: list[tuple[int, str]]  # (pk, name)


@dataclass
class ChapterPlan:
    fields: dict
    published_at: datetime | None


@dataclass
class StoryPlan:
    """One story's rows before they have primary keys."""

    fields: dict
    author_ids: list[int]
    category_ids: list[int]
    character_ids: list[int]
    classification_ids: list[int]
    chapters: list[ChapterPlan]
    cast: Cast
    popularity: float


@dataclass
class ArchiveShape:
    """What StoryWriter needs from the rows created before the stories."""

    rating_ids: list[int]
    rating_weights: list[int]
    fandoms: list[Fandom]
    classification_ids: dict[str, list[int]]
    author_ids: list[int]
    draft_indexes: set[int]
    featured_indexes: set[int]
    popularity: list[float]  # per story index, 1.0 for the most popular


class StoryWriter:
    """Plans a story from its index and the seed alone: same inputs, same story.

    Nothing here touches the database, so worker processes can write stories in parallel.
    """

    def __init__(self, seed: int, prose: Prose, shape: ArchiveShape):
        self.seed = seed
        self.prose = prose
        self.shape = shape
        self.author_weights = zipf_weights(len(shape.author_ids), 0.7)
        self.fandom_weights = zipf_weights(len(shape.fandoms), 0.8)

    def write(self, index: int) -> StoryPlan:
        rng = random.Random(f"{self.seed}:story:{index}")
        shape = self.shape
        fandom = rng.choices(shape.fandoms, cum_weights=self.fandom_weights)[0]
        categories = [rng.choice(fandom.category_ids)]
        characters = rng.sample(fandom.characters, k=min(len(fandom.characters), rng.randint(1, 4)))
        if rng.random() < 0.05:  # a crossover
            other = rng.choice(shape.fandoms)
            if other is not fandom:
                categories.append(rng.choice(other.category_ids))
                characters.append(rng.choice(other.characters))
        names = [text_name(name) for _, name in characters] + [rng.choice(FIRST_NAMES)]
        cast = Cast(names[0], names[1], fandom.name)

        owner = rng.choices(shape.author_ids, cum_weights=self.author_weights)[0]
        authors = [owner]
        coauthor = rng.choice(shape.author_ids)
        if rng.random() < 0.06 and coauthor != owner:
            authors.append(coauthor)

        classifications = rng.sample(shape.classification_ids["Genre"], k=rng.randint(1, 3))
        classifications.append(rng.choice(shape.classification_ids["Warning"]))
        classifications.append(rng.choice(shape.classification_ids["Pairing"]))

        is_draft = index in shape.draft_indexes
        chapter_total = rng.choices(range(1, 13), weights=CHAPTER_COUNT_WEIGHTS)[0]
        completed = not is_draft and (chapter_total == 1 or rng.random() < 0.7)
        published_chapters = 0 if is_draft else chapter_total
        if not is_draft and not completed and chapter_total > 1 and rng.random() < 0.15:
            published_chapters -= 1  # the next chapter is waiting as a draft
        chapters = self._chapters(rng, cast, chapter_total, published_chapters, is_draft)

        prose = self.prose
        title = prose.title(rng, TITLES, cast)
        popularity = shape.popularity[index]
        fields = {
            "title": title,
            "summary": prose.html(rng, "summary", cast),
            "notes": prose.html(rng, "story notes", cast) if rng.random() < 0.3 else "",
            "rating_id": rng.choices(shape.rating_ids, weights=shape.rating_weights)[0],
            "status": Status.DRAFT if is_draft else Status.PUBLISHED,
            "completed": completed,
            "featured": index in shape.featured_indexes,
            "created_at": chapters[0].fields["created_at"],
            "published_at": chapters[0].published_at,
            # What readers see as "Updated": the last published chapter (any, for drafts).
            "updated_at": max(
                chapter.fields["updated_at"]
                for chapter in chapters
                if chapter.published_at or is_draft
            ),
            "hits": 0 if is_draft else int(popularity * 250_000 * rng.uniform(0.5, 1.5)) + 20,
        }
        return StoryPlan(
            fields=fields,
            author_ids=authors,
            category_ids=sorted(set(categories)),
            character_ids=sorted({pk for pk, _ in characters}),
            classification_ids=classifications,
            chapters=chapters,
            cast=cast,
            popularity=popularity,
        )

    def _chapters(
        self, rng: random.Random, cast: Cast, total: int, published: int, is_draft: bool
    ) -> list[ChapterPlan]:
        prose = self.prose
        parts = itertools.count(1) if rng.random() < 0.12 else None
        chapters = []
        for position, date in enumerate(self._chapter_dates(rng, total, is_draft), start=1):
            is_published = position <= published
            body = sanitize(prose.chapter_html(rng, cast, parts))
            body_text = html_to_text(body)
            fields = {
                "position": position,
                "title": prose.title(rng, CHAPTER_TITLES, cast) if rng.random() < 0.7 else "",
                "notes": prose.html(rng, "chapter notes", cast) if rng.random() < 0.55 else "",
                "end_notes": prose.html(rng, "end notes", cast) if rng.random() < 0.35 else "",
                "body": body,
                "body_text": body_text,
                "word_count": word_count(body_text),
                "status": Status.PUBLISHED if is_published else Status.DRAFT,
                "created_at": date - timedelta(hours=rng.uniform(1, 72)),
                "published_at": date if is_published else None,
                "updated_at": date + timedelta(hours=rng.uniform(0, 2)),
            }
            chapters.append(ChapterPlan(fields, fields["published_at"]))
        return chapters

    def _chapter_dates(self, rng: random.Random, count: int, is_draft: bool) -> list[datetime]:
        """Chapter dates a few days to weeks apart, all before EPOCH."""
        span = timedelta(days=120) if is_draft else HISTORY
        start = EPOCH - span * rng.uniform(0.005, 1)
        gaps = [timedelta(days=rng.expovariate(1 / 12)) for _ in range(count - 1)]
        total = sum(gaps, timedelta())
        room = EPOCH - start - timedelta(hours=3)
        if total > room:
            gaps = [gap * (room / total) for gap in gaps]
        return list(itertools.accumulate(gaps, initial=start))


# --- The archive ------------------------------------------------------------------------


@dataclass
class StoryRecord:
    """What reviews, favorites and series need to know about an inserted story."""

    pk: int
    author_ids: list[int]
    cast: Cast
    published_at: datetime
    updated_at: datetime
    chapters: list[tuple[int, datetime]]  # published chapters: (pk, published_at)
    popularity: float


@dataclass
class DemoArchive:
    """What generate() made: rows per model and the account someone can sign in with."""

    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    login_username: str = ""
    login_pen_name: str = ""
    login_password: str = DEMO_PASSWORD


def quiet_progress(**kwargs) -> ProgressBar:
    return ProgressBar(disable=True, **kwargs)


# Worker processes inherit the writer when they fork; only the story index travels to them.
_worker_writer: StoryWriter | None = None


def _start_worker(writer: StoryWriter) -> None:
    global _worker_writer
    _worker_writer = writer


def _write_in_worker(index: int) -> StoryPlan:
    return _worker_writer.write(index)


class DemoGenerator:
    def __init__(
        self,
        stories: int,
        seed: int,
        processes: int = 1,
        progress: Callable[..., ProgressBar] = quiet_progress,
    ):
        self.story_total = stories
        self.seed = seed
        # Forked workers inherit the sentence pools for free; without fork, work alone.
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.processes = processes if can_fork else 1
        self.progress = progress
        self.result = DemoArchive()
        self.records: list[StoryRecord] = []  # published stories
        self.series: list[tuple[Series, list[StoryRecord]]] = []

    def rng(self, phase: str) -> random.Random:
        """A generator per phase, so changing one phase leaves the others' output alone."""
        return random.Random(f"{self.seed}:{phase}")

    def insert(self, model, rows: list) -> list:
        created = model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.result.rows[model._meta.verbose_name_plural] += len(created)
        return created

    def run(self) -> DemoArchive:
        # Enough sentences that they seldom repeat, without a long wait for a small demo.
        narration = min(40_000, 2_000 + 200 * self.story_total)
        prose = Prose(self.seed, narration=narration, dialogue=narration * 2 // 5)
        ratings = self._ratings()
        fandoms = self._fandoms()
        classification_ids = self._classifications()
        author_ids, reader_ids = self._members(prose)
        shape = self._shape(ratings, fandoms, classification_ids, author_ids)
        self._stories(StoryWriter(self.seed, prose, shape))
        self._series(prose)
        self._reviews(prose, author_ids + reader_ids)
        self._favorites(prose, author_ids, reader_ids)
        return self.result

    # Taxonomy and members ---------------------------------------------------------------

    def _ratings(self) -> list[Rating]:
        return self.insert(
            Rating,
            [
                Rating(
                    name=name,
                    order=order,
                    shows_warning=shows_warning,
                    needs_consent=needs_consent,
                    warning_text=html_from_plain(warning) if warning else "",
                )
                for order, (name, _, shows_warning, needs_consent, warning) in enumerate(
                    RATINGS, start=1
                )
            ],
        )

    def _fandoms(self) -> list[Fandom]:
        parents = self.insert(
            Category,
            [
                Category(name=name, order=order, description=html_from_plain(f"Stories in {name}."))
                for order, (name, _, _) in enumerate(FANDOMS, start=1)
            ],
        )
        children = self.insert(
            Category,
            [
                Category(name=child, parent=parent, order=order)
                for parent, (_, child_names, _) in zip(parents, FANDOMS, strict=True)
                for order, child in enumerate(child_names, start=1)
            ],
        )
        children_of = defaultdict(list)
        for child in children:
            children_of[child.parent_id].append(child.pk)
        characters = self.insert(
            Character,
            [Character(name=name) for _, _, names in FANDOMS for name in names],
        )
        fandoms, links = [], []
        remaining = iter(characters)
        for parent, (name, _, names) in zip(parents, FANDOMS, strict=True):
            category_ids = [parent.pk, *children_of[parent.pk]]
            cast = [next(remaining) for _ in names]
            fandoms.append(Fandom(name, category_ids, [(c.pk, c.name) for c in cast]))
            links += [
                Character.categories.through(character_id=c.pk, category_id=category_id)
                for c in cast
                for category_id in category_ids
            ]
        self.insert(Character.categories.through, links)
        return fandoms

    def _classifications(self) -> dict[str, list[int]]:
        types = self.insert(
            ClassificationType,
            [
                ClassificationType(name=name, order=order)
                for order, name in enumerate(CLASSIFICATIONS, start=1)
            ],
        )
        ids = {}
        for kind in types:
            created = self.insert(
                Classification,
                [Classification(type=kind, name=name) for name in CLASSIFICATIONS[kind.name]],
            )
            ids[kind.name] = [c.pk for c in created]
        return ids

    def _members(self, prose: Prose) -> tuple[list[int], list[int]]:
        """Authors (the first of them prolific) and readers who only review and favorite."""
        rng = self.rng("members")
        author_total = max(len(FIXED_PEN_NAMES), self.story_total // 3)
        reader_total = max(8, self.story_total // 3)
        taken_names = set(Profile.objects.values_list("pen_name_key", flat=True))
        taken_usernames = set(User.objects.values_list("username", flat=True))
        unusable = make_password(None)
        users, profiles = [], []
        for index in range(author_total + reader_total):
            wanted = FIXED_PEN_NAMES[index] if index < len(FIXED_PEN_NAMES) else None
            pen_name = self._unique(wanted or self._pen_name(rng), taken_names, name_key)
            username = self._unique(
                DEMO_USERNAME if index == 0 else f"member{index}", taken_usernames, str
            )
            joined = EPOCH - HISTORY * rng.uniform(1, 1.5)
            user = User(
                username=username,
                email=f"{username}@example.com",
                password=unusable,
                date_joined=joined,
            )
            if index == 0:
                user.set_password(DEMO_PASSWORD)  # the one real hash: someone signs in here
                self.result.login_username, self.result.login_pen_name = username, pen_name
            users.append(user)
            cast = Cast("", "", rng.choice(FANDOMS)[0])
            profiles.append(
                Profile(
                    pen_name=pen_name,
                    pen_name_key=name_key(pen_name),
                    pen_name_sort=sort_key(pen_name),
                    bio=prose.html(rng, "bio", cast) if rng.random() < 0.6 else "",
                    website=f"https://example.com/~{username}" if rng.random() < 0.2 else "",
                )
            )
        users = self.insert(User, users)
        for user, profile in zip(users, profiles, strict=True):
            profile.user = user
        self.insert(Profile, profiles)
        ids = [user.pk for user in users]
        return ids[:author_total], ids[author_total:]

    @staticmethod
    def _unique(wanted: str, taken: set[str], key: Callable[[str], str]) -> str:
        """wanted, or wanted with a number when a member already has it."""
        candidate, number = wanted, 1
        while key(candidate) in taken:
            number += 1
            candidate = f"{wanted} {number}" if " " in wanted else f"{wanted}{number}"
        taken.add(key(candidate))
        return candidate

    @staticmethod
    def _pen_name(rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.4:
            return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        first, second = rng.sample(HANDLE_PARTS, 2)
        if roll < 0.7:
            return f"{first.title()}{second.title()}"
        if roll < 0.9:
            return f"{first}_{second}"
        return f"{first}-and-{second}"

    def _shape(self, ratings, fandoms, classification_ids, author_ids) -> ArchiveShape:
        rng = self.rng("shape")
        total = self.story_total
        draft_count = max(1, round(total * 0.04)) if total > 1 else 0
        ranks = list(range(1, total + 1))
        rng.shuffle(ranks)
        popularity = [1 / rank**0.9 for rank in ranks]
        drafts = set(rng.sample(range(total), draft_count))
        by_popularity = sorted(set(range(total)) - drafts, key=lambda index: ranks[index])
        featured = set(by_popularity[: max(1, total // 30)])
        return ArchiveShape(
            rating_ids=[rating.pk for rating in ratings],
            rating_weights=[share for _, share, *_ in RATINGS],
            fandoms=fandoms,
            classification_ids=classification_ids,
            author_ids=author_ids,
            draft_indexes=drafts,
            featured_indexes=featured,
            popularity=popularity,
        )

    # Stories ----------------------------------------------------------------------------

    def _stories(self, writer: StoryWriter) -> None:
        with self.progress(total=self.story_total, desc="stories", unit="story") as bar:
            for plans in self._planned_batches(writer):
                self._insert_stories(plans)
                bar.update(len(plans))

    def _planned_batches(self, writer: StoryWriter) -> Iterator[list[StoryPlan]]:
        """Story plans in index order, a batch at a time.

        Writing chapters (prose, sanitizing, plain text, word counts) costs far more than
        inserting them, so worker processes write the next batch while this one inserts.
        """
        batches = [
            range(start, min(start + STORIES_PER_BATCH, self.story_total))
            for start in range(0, self.story_total, STORIES_PER_BATCH)
        ]
        if self.processes < 2:
            for batch in batches:
                yield [writer.write(index) for index in batch]
            return
        context = multiprocessing.get_context("fork")
        with context.Pool(self.processes, initializer=_start_worker, initargs=(writer,)) as pool:
            pending = pool.map_async(_write_in_worker, batches[0])
            for following in batches[1:]:
                plans = pending.get()
                pending = pool.map_async(_write_in_worker, following)
                yield plans
            yield pending.get()

    def _insert_stories(self, plans: list[StoryPlan]) -> None:
        stories = [Story(**plan.fields) for plan in plans]
        for story in stories:
            story.derive_title_fields()
        stories = self.insert(Story, stories)
        authors, categories, characters, classifications, chapters = [], [], [], [], []
        for story, plan in zip(stories, plans, strict=True):
            authors += [
                StoryAuthor(story=story, user_id=user_id, is_owner=position == 0, position=position)
                for position, user_id in enumerate(plan.author_ids)
            ]
            categories += [
                Story.categories.through(story_id=story.pk, category_id=pk)
                for pk in plan.category_ids
            ]
            characters += [
                Story.characters.through(story_id=story.pk, character_id=pk)
                for pk in plan.character_ids
            ]
            classifications += [
                Story.classifications.through(story_id=story.pk, classification_id=pk)
                for pk in plan.classification_ids
            ]
            chapters += [Chapter(story=story, **chapter.fields) for chapter in plan.chapters]
        self.insert(StoryAuthor, authors)
        self.insert(Story.categories.through, categories)
        self.insert(Story.characters.through, characters)
        self.insert(Story.classifications.through, classifications)
        chapters = iter(self.insert(Chapter, chapters))
        for story, plan in zip(stories, plans, strict=True):
            story_chapters = [(next(chapters), chapter.published_at) for chapter in plan.chapters]
            if story.status == Status.PUBLISHED:
                self.records.append(
                    StoryRecord(
                        pk=story.pk,
                        author_ids=plan.author_ids,
                        cast=plan.cast,
                        published_at=story.published_at,
                        updated_at=story.updated_at,
                        chapters=[(c.pk, date) for c, date in story_chapters if date],
                        popularity=plan.popularity,
                    )
                )

    # Series, reviews, favorites ----------------------------------------------------------

    def _series(self, prose: Prose) -> None:
        """Authors with several stories group some of them, in order, into series."""
        rng = self.rng("series")
        by_owner = defaultdict(list)
        for record in self.records:
            by_owner[record.author_ids[0]].append(record)
        owners = [owner for owner, records in by_owner.items() if len(records) >= 2]
        wanted = max(1, len(self.records) // 12)
        series, items, series_stories = [], [], []
        for owner in rng.sample(owners, min(wanted, len(owners))):
            records = rng.sample(by_owner[owner], min(len(by_owner[owner]), rng.randint(2, 5)))
            records.sort(key=lambda record: record.published_at)
            series.append(
                Series(
                    owner_id=owner,
                    title=prose.title(rng, TITLES, records[0].cast),
                    summary=prose.html(rng, "summary", records[0].cast),
                    is_open=rng.random() < 0.1,
                    created_at=records[0].published_at,
                    updated_at=max(record.updated_at for record in records),
                )
            )
            series_stories.append(records)
        series = self.insert(Series, series)
        for one_series, records in zip(series, series_stories, strict=True):
            items += [
                SeriesItem(series=one_series, story_id=record.pk, position=position)
                for position, record in enumerate(records, start=1)
            ]
        # eFiction lets a series hold other series: a few owners collect theirs.
        by_series_owner = defaultdict(list)
        for one_series in series:
            by_series_owner[one_series.owner_id].append(one_series)
        collections = []
        for owner, owned in by_series_owner.items():
            if len(owned) >= 2 and rng.random() < 0.3:
                collections.append(
                    (
                        Series(
                            owner_id=owner,
                            title=f"The Complete {owned[0].title}"[:200],
                            summary=html_from_plain("Every series in one place, in reading order."),
                            created_at=min(s.created_at for s in owned),
                            updated_at=max(s.updated_at for s in owned),
                        ),
                        owned,
                    )
                )
        parents = self.insert(Series, [parent for parent, _ in collections])
        for parent, (_, owned) in zip(parents, collections, strict=True):
            items += [
                SeriesItem(series=parent, subseries=child, position=position)
                for position, child in enumerate(owned, start=1)
            ]
        self.insert(SeriesItem, items)
        self.series = list(zip(series, series_stories, strict=True))

    def _reviews(self, prose: Prose, member_ids: list[int]) -> None:
        """About three reviews per story, most on the popular ones; a few on series."""
        rng = self.rng("reviews")
        total = len(self.records) * 3
        targets = rng.choices(self.records, cum_weights=self._popularity_weights(), k=total)
        reviews = []
        with self.progress(total=total, desc="reviews", unit="review") as bar:
            for record in targets:
                chapter_id, date = rng.choice(record.chapters)
                story_review = rng.random() < 0.12  # about the whole story, not one chapter
                reviews.append(
                    self._review(
                        rng,
                        prose,
                        record.cast,
                        member_ids,
                        record.author_ids,
                        after=date,
                        story_id=record.pk,
                        chapter_id=None if story_review else chapter_id,
                    )
                )
                if len(reviews) == BATCH_SIZE:
                    self.insert(Review, reviews)
                    bar.update(len(reviews))
                    reviews = []
            bar.update(len(reviews))
        for one_series, records in self.series:
            reviews += [
                self._review(
                    rng,
                    prose,
                    records[0].cast,
                    member_ids,
                    [one_series.owner_id],
                    after=one_series.created_at,
                    series_id=one_series.pk,
                )
                for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
            ]
        self.insert(Review, reviews)

    def _popularity_weights(self) -> list[float]:
        return list(itertools.accumulate(record.popularity for record in self.records))

    @staticmethod
    def _review(rng, prose, cast, member_ids, author_ids, *, after, **target) -> Review:
        reviewer_id = None if rng.random() < 0.12 else rng.choice(member_ids)
        if reviewer_id in author_ids:
            reviewer_id = None  # authors do not review their own work: make it a guest's
        return Review(
            reviewer_id=reviewer_id,
            reviewer_name="" if reviewer_id else rng.choice(ANONYMOUS_NAMES),
            text=prose.html(rng, "review", cast),
            rating=rng.choice(REVIEW_STARS) if rng.random() < 0.3 else None,
            response=prose.html(rng, "response", cast) if rng.random() < 0.2 else "",
            status=Review.Status.PENDING if rng.random() < 0.02 else Review.Status.PUBLISHED,
            created_at=after + (EPOCH - after) * rng.random(),
            **target,
        )

    def _favorites(self, prose: Prose, author_ids: list[int], reader_ids: list[int]) -> None:
        """Members keep a few favorite stories (popular ones most), fewer authors, some series."""
        rng = self.rng("favorites")
        weights = self._popularity_weights()
        members = author_ids + reader_ids
        favorites = []
        with self.progress(total=len(members), desc="favorites", unit="member") as bar:
            for user_id in members:
                picked = rng.choices(self.records, cum_weights=weights, k=int(rng.expovariate(0.4)))
                favorites += [
                    self._favorite(
                        rng, prose, user_id, record.cast, record.published_at, story_id=record.pk
                    )
                    for record in {record.pk: record for record in picked}.values()
                    if user_id not in record.author_ids
                ]
                liked_authors = rng.sample(author_ids, k=min(3, int(rng.expovariate(1.2))))
                favorites += [
                    self._favorite(rng, prose, user_id, None, EPOCH - HISTORY, author_id=author_id)
                    for author_id in liked_authors
                    if author_id != user_id
                ]
                if self.series and rng.random() < 0.3:
                    one_series, records = rng.choice(self.series)
                    if one_series.owner_id != user_id:
                        favorites.append(
                            self._favorite(
                                rng,
                                prose,
                                user_id,
                                records[0].cast,
                                one_series.created_at,
                                series=one_series,
                            )
                        )
                if len(favorites) >= BATCH_SIZE:
                    self.insert(Favorite, favorites)
                    favorites = []
                bar.update(1)
            self.insert(Favorite, favorites)

    @staticmethod
    def _favorite(rng, prose, user_id, cast, after, **target) -> Favorite:
        comment = ""
        if cast and rng.random() < 0.25:
            comment = prose.favorite_comment(rng, cast)
        return Favorite(
            user_id=user_id,
            comment=comment,
            created_at=after + (EPOCH - after) * rng.random(),
            **target,
        )


def generate(
    stories: int,
    seed: int,
    *,
    processes: int = 1,
    progress: Callable[..., ProgressBar] = quiet_progress,
) -> DemoArchive:
    """Insert a demo archive of `stories` stories; the caller refreshes the counts."""
    return DemoGenerator(stories, seed, processes, progress).run()
