"""Sentence templates of the demo corpus, per language and kind of post.

``{b}`` is a brand (Lumio, or a competitor), ``{p}`` a product, ``{c}`` a city, ``{h}`` the
campaign hashtag. Every text here was written for Slusha's demo; none is copied from a network.
"""

from __future__ import annotations

BRAND = "Lumio"
COMPETITORS = ("Telvia", "Nexora")
CAMPAIGN_TAG = {
    "en": "#LumioSummer",
    "mk": "#ЛумиоЛето",
    "sr": "#LumioLeto",
    "bg": "#ЛумиоЛято",
    "de": "#LumioSommer",
    "hr": "#LumioLjeto",
}
BRAND_LOCAL = {"mk": "Лумио", "bg": "Лумио"}
CEO = {
    "en": "Ana Petrovska",
    "mk": "Ана Петровска",
    "sr": "Ana Petrovska",
    "bg": "Ана Петровска",
    "de": "Ana Petrovska",
    "hr": "Ana Petrovska",
}
PRODUCTS = {
    "en": ["fibre plan", "router", "mobile app", "5G plan", "TV box"],
    "mk": ["интернет пакет", "рутер", "мобилна апликација", "5G пакет", "ТВ кутија"],
    "sr": ["internet paket", "ruter", "mobilna aplikacija", "5G paket", "TV box"],
    "bg": ["интернет план", "рутер", "мобилно приложение", "5G план", "ТВ приемник"],
    "de": ["Glasfasertarif", "Router", "App", "5G-Tarif", "TV-Box"],
    "hr": ["internet paket", "ruter", "mobilna aplikacija", "5G paket", "TV prijemnik"],
}
CITIES = {
    "en": ["Skopje", "Belgrade", "Sofia", "Berlin", "Zagreb", "London"],
    "mk": ["Скопје", "Битола", "Охрид", "Куманово", "Тетово"],
    "sr": ["Beograd", "Novi Sad", "Niš", "Kragujevac"],
    "bg": ["София", "Пловдив", "Варна", "Бургас"],
    "de": ["Berlin", "München", "Hamburg", "Wien"],
    "hr": ["Zagreb", "Split", "Rijeka", "Osijek"],
}

COMPLAINTS = {
    "en": [
        "{b} internet has been down for 6 hours in {c}. Nobody answers the support line. Awful.",
        "Third time this month my {b} {p} stopped working. I want a refund, not excuses.",
        "@{b}_support you charged me twice for the {p}. Fix this now please",
        "Honestly the worst customer service I have had. {b} never sent my refund.",
        "Is {b} down again? No connection in {c} since this morning #outage",
        "Waited 45 minutes on hold with {b}. Still no fix for my {p}. Terrible.",
    ],
    "mk": [
        "{b} интернетот не работи веќе 6 часа во {c}. Никој не одговара на телефон. Ужасно.",
        "Трет пат овој месец {p} од {b} не работи. Сакам поврат на пари, не изговори.",
        "Најлоша услуга досега. {b} уште не ми ги врати парите.",
        "Дали {b} пак не работи? Нема интернет во {c} од утрото",
        "Чекав 40 минути на линија со {b}, а {p} сè уште не работи. Срамота.",
    ],
    "sr": [
        "{b} internet ne radi već 5 sati u {c}. Niko se ne javlja na telefon. Užas.",
        "Treći put ovog meseca {p} od {b} ne radi. Hoću povraćaj novca.",
        "Najgora korisnička podrška ikada. {b} mi nije vratio novac.",
    ],
    "bg": [
        "{b} интернетът не работи от 5 часа в {c}. Никой не вдига телефона. Ужасно.",
        "За трети път този месец {p} от {b} спира. Искам си парите обратно.",
    ],
    "de": [
        "{b} Internet ist seit 6 Stunden in {c} ausgefallen. Niemand geht ans Telefon. Furchtbar.",
        "Schon wieder funktioniert mein {p} von {b} nicht. Ich will mein Geld zurück.",
    ],
    "hr": [
        "{b} internet ne radi već 5 sati u {c}. Nitko se ne javlja. Užasno.",
        "Treći put ovaj mjesec {p} od {b} ne radi. Želim povrat novca.",
    ],
}
PRAISE = {
    "en": [
        "Switched to {b} last month and the {p} is fantastic. Fast and stable, love it!",
        "Shout-out to the {b} support team, fixed my {p} in ten minutes. Great service!",
        "{b} {p} is honestly the best thing I bought this year. Highly recommend.",
        "Loving the new {b} app, so much easier to pay bills now",
    ],
    "mk": [
        "Преминав на {b} минатиот месец и {p} е одличен. Брз и стабилен, го сакам!",
        "Браво за поддршката на {b}, ми го средија {p} за десет минути. Одлична услуга!",
        "{b} навистина е најдобриот оператор во {c}. Препорачувам.",
    ],
    "sr": [
        "Prešao sam na {b} prošlog meseca i {p} je odličan. Brz i stabilan!",
        "Bravo za podršku {b}, rešili su problem za deset minuta. Odlična usluga!",
    ],
    "bg": [
        "Минах към {b} миналия месец и {p} е страхотен. Бърз и стабилен!",
        "Браво на поддръжката на {b}, оправиха проблема за десет минути. Отлично!",
    ],
    "de": [
        "Seit einem Monat bei {b} und der {p} ist super. Schnell und stabil!",
        "Danke an den {b} Support, mein {p} lief nach zehn Minuten wieder. Toller Service!",
    ],
    "hr": [
        "Prešao sam na {b} prošli mjesec i {p} je odličan. Brz i stabilan!",
    ],
}
QUESTIONS = {
    "en": [
        "Does anyone know if {b} covers {c} with the new {p}?",
        "Thinking about getting the {b} {p}. Any experiences?",
        "What is the price of the {b} {p} these days?",
    ],
    "mk": [
        "Дали некој знае дали {b} има покриеност во {c} со новиот {p}?",
        "Размислувам да земам {p} од {b}. Некакви искуства?",
    ],
    "sr": ["Da li neko zna da li {b} pokriva {c} sa novim paketom?"],
    "bg": ["Някой знае ли дали {b} покрива {c} с новия {p}?"],
    "de": ["Weiß jemand, ob {b} in {c} den neuen {p} anbietet?"],
    "hr": ["Zna li netko pokriva li {b} {c} s novim paketom?"],
}
JOBS = {
    "en": [
        "{b} is hiring! Customer care agents wanted in {c}. Apply now: careers page #jobs",
        "Job opening at {b}: senior network engineer, {c}. We are hiring #hiring",
    ],
    "mk": [
        "{b} вработува! Бараме агенти за грижа за корисници во {c}. Оглас за работа #вработување",
        "Оглас за работа во {b}: мрежен инженер, {c}. Пријавете се!",
    ],
    "sr": ["{b} zapošljava! Tražimo inženjere u {c}. Posao oglas #posao"],
    "de": ["{b} sucht Verstärkung! Jobs im Kundenservice in {c}. Jetzt bewerben #jobs"],
}
LEGAL = {
    "en": [
        "My lawyer is preparing a lawsuit against {b} for the unauthorised charges.",
        "I will take {b} to court if they do not cancel this contract. Lawyer already contacted.",
    ],
    "mk": [
        "Мојот адвокат подготвува тужба против {b} за неовластените наплати.",
        "Ќе ги тужам {b} на суд ако не го раскинат договорот.",
    ],
    "sr": ["Moj advokat priprema tužbu protiv {b} zbog neovlašćenih naplata."],
}
PRESS = {
    "en": [
        "{b} reports 12% growth and announces fibre roll-out in {c}",
        "{b} CEO {ceo} presents the company's 2027 network plan",
        "Regulator fines {b} over billing errors",
    ],
    "mk": [
        "{b} објави раст од 12% и ширење на оптичката мрежа во {c}",
        "Извршната директорка на {b}, {ceo}, го претстави планот за 2027",
    ],
    "sr": ["{b} najavljuje optičku mrežu u {c}"],
    "bg": ["{b} обяви разширяване на оптичната мрежа в {c}"],
    "de": ["{b} meldet 12 Prozent Wachstum und baut Glasfaser in {c} aus"],
}
CAMPAIGN = {
    "en": [
        "Just won free data in the {h} contest! Thanks {b} :)",
        "Loving the {h} offers, got a new {p} for half price",
    ],
    "mk": ["Освоив бесплатен интернет во наградната игра {h}! Благодарам {b} :)"],
    "sr": ["Super ponuda {h}, uzeo sam novi {p} upola cene"],
    "bg": ["Спечелих безплатни данни в играта {h}! Благодаря {b}"],
    "de": ["Die {h} Angebote sind klasse, neuer {p} zum halben Preis"],
    "hr": ["Odlična ponuda {h}, novi {p} za pola cijene"],
}
OUTAGE = {
    "en": [
        "{b} down everywhere?? No internet in {c} #outage",
        "Whole street without {b} internet for hours. What is going on {b}?",
        "{b} outage again, third hour, no info from support. Useless.",
    ],
    "mk": [
        "Дали и кај вас не работи {b}? Нема интернет во {c}",
        "Цел град без {b} интернет со часови. Што се случува?",
    ],
    "sr": ["{b} ne radi nigde?? Nema interneta u {c}"],
    "bg": ["{b} не работи никъде? Няма интернет в {c}"],
}
NOISE = {
    "en": [
        "Beautiful sunset over the lake today",
        "Anyone watching the match tonight?",
        "New blog post: ten tips for better sleep",
        "Coffee first, then emails.",
    ],
    "mk": [
        "Прекрасен зајдисонце над Охридското езеро",
        "Кој ќе го гледа натпреварот вечерва?",
        "Ново на блогот: десет совети за подобар сон",
    ],
    "sr": ["Prelep zalazak sunca danas", "Ko gleda utakmicu večeras?"],
    "bg": ["Прекрасен залез над морето днес", "Кой ще гледа мача довечера?"],
    "de": ["Schöner Sonnenuntergang heute am See", "Wer schaut heute Abend das Spiel?"],
    "hr": ["Prekrasan zalazak sunca danas", "Tko gleda utakmicu večeras?"],
}
COMPETITOR_POSTS = {
    "en": [
        "{b} just launched a cheaper {p}. Might switch.",
        "{b} support was helpful today.",
        "{b} network is slow again in {c}, annoying.",
    ],
    "mk": ["{b} лансираше поевтин {p}. Можеби ќе преминам.", "{b} мрежата пак е бавна во {c}."],
    "sr": ["{b} je lansirao jeftiniji paket. Možda pređem."],
    "bg": ["{b} пусна по-евтин {p}. Може да сменя."],
    "de": ["{b} hat einen günstigeren {p} gestartet. Vielleicht wechsle ich."],
}
