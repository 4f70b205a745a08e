"""Small stopword lists, written for this project, for the languages Slusha meets most.

They only keep "top words" readable; they are not linguistic resources. A post in a known
language is filtered with its own list (German "war" is a stopword, English "war" is news);
one of unknown language with all of them.
"""

from __future__ import annotations

_LISTS: dict[str, str] = {
    "en": """a about above after again all also am an and any are as at be because been before
        being below between both but by can could did do does doing down during each few for
        from further had has have having he her here hers him his how i if in into is it its
        just me more most my no nor not now of off on once only or other our out over own same
        she should so some such than that the their them then there these they this those
        through to too under until up very was we were what when where which while who whom why
        will with would you your yours get got im dont cant its thats just like really amp via
        rt""",
    "mk": """а ако во за и или како кај ке ќе ги го да е ги до ден до сè сите со се си од
        на не но ни низ ние вие тие тој таа тоа тие што кој која кое кои ја јас ти ти му ми
        нè нив нивни нивниот нејзе нему мене тебе има нема беше бил била било биле сум си
        сме сте се само уште веќе исто така по пред под над меѓу без преку околу затоа
        бидејќи дека ова овој оваа овие оној онаа тука таму сега тогаш многу малку""",
    "sr": """a ako ali bi bio bila bilo biti da do dok ga i ih ili iz ja je jer joj ju kad
        kada kako koja koje koji kod li me mi mu na nam nas ne nego neki ni nije niti o od
        oko on ona one oni ono ova ovaj ovo pa po pod pre prema sa se sebe si sam smo ste su
        svoj ta taj te ti to tu u uz vam vas već za zato što šta će ću ćemo
        а ако али би био била било бити да до док га и их или из ја је јер јој ју кад када
        како која које који код ли ме ми му на нам нас не него неки ни није нити о од око он
        она оне они оно ова овај ово па по под пре према са се себе си сам смо сте су свој
        та тај те ти то ту у уз вам вас већ за зато што шта ће ћу ћемо""",
    "bg": """а аз ако бе без би бил била били било бъде в във вас ви все всички да дали до
        докато е за защото и или им има как като кой коя което които ли ме ми му на над
        не него нея ни но няма о от по под при с са се си след сме сте със също та така те
        ти то този тази това тези той тя тук че ще""",
    "sq": """a apo ai ajo asaj atë ato atij dhe do duke e edhe i ia jam janë jemi ju kam ka
        kemi kjo ky kur me më mund na ne nga në nuk për pra po se si shumë sa të tek ti unë
        u ishte ishin kështu""",
    "de": """aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass
        dein dem den der des die dies diese dir doch du ein eine einem einen einer es für
        hat hatte ich ihr im in ist ja jetzt kann kein mich mir mit nach nicht noch nur ob
        oder sein sich sie sind so um und uns von vor war waren was wie wir wird zu zum zur
        über""",
    "fr": """à au aux avec ce ces cette dans de des du elle en est et eu il ils je la le
        les leur lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour
        qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous été être
        avoir fait plus très""",
    "es": """a al algo como con de del el ella ellos en era es esta este esto fue ha hay la
        las le les lo los más me mi muy no nos o para pero por que qué se sin sobre su sus
        también te tu un una uno y ya está están ser son""",
    "it": """a ad al alla alle anche che chi ci come con da dal dalla dei del della di e è
        gli ha hanno il in io la le lei lo loro lui ma mi ne nel nella no noi non o per più
        quando questo questa se si sono su sua suo tu un una uno vi voi""",
    "pt": """a ao aos as com como da das de do dos e é ela ele eles em entre era essa esse
        esta este eu foi há isso já mais mas me muito na não nas no nos o os ou para pela
        pelo por que se sem ser seu sua são também te tem um uma você""",
    "nl": """aan al als bij dan dat de der die dit door een en er had heb heeft het hij hoe
        ik in is je kan maar me met mijn na naar niet nog nu of om ook op over te tot uit
        van voor was wat we wel wij zal ze zich zij zijn""",
    "tr": """acaba ama ancak bana ben beni bir biz bu bunu çok da daha de değil diye en gibi
        hem hep her için ile ise kadar ki mi mu mı mü ne neden o onlar onu sen şey şu ve
        veya ya yani""",
    "ru": """а без бы был была были было в вам вас весь во вот все всё вы где да даже для до
        его ее её если есть еще ещё же за и из или им их к как ко когда кто ли между меня
        мне мы на над не него нее неё нет ни них но ну о об он она они оно от очень по под
        при с со так также там те тем то того тоже только том ты у уже хотя чем что чтобы
        эта эти это я""",
}
# Languages close enough to share a list.
_ALIASES: dict[str, str] = {"hr": "sr", "bs": "sr", "sh": "sr", "cnr": "sr", "uk": "ru"}

STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _LISTS.items()
}
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())


def stopwords_for(lang: str | None) -> frozenset[str]:
    """The list for ``lang`` (ISO 639-1), or every list when the language is unknown."""
    if not lang:
        return ALL_STOPWORDS
    code = lang.split("-")[0].lower()
    code = _ALIASES.get(code, code)
    # English words pepper posts in every language (brand talk, "via", "rt").
    return STOPWORDS.get(code, ALL_STOPWORDS) | STOPWORDS["en"]
