"""Write ``tests/data/corpus/{en,es,ja}.txt``: the training text of the test SentencePiece models.

Every sentence is put together from the hand-written phrase lists below (original text in the
style of the movement's statements), with a fixed seed, so running this again gives the same
files::

    python tests/data/make_corpus.py

The statements in ``tests/data`` are appended as they are, so the models know their words.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINES_PER_LANGUAGE = 320

EN = {
    "subject": [
        "The miners of Casapalca",
        "Our unions",
        "The union leaders",
        "Thousands of workers",
        "The women of the mining camps",
        "The federations",
        "Students and teachers",
        "The dockers of the port",
        "The branches of the union",
        "The peasants of the valley",
        "Railway workers in Japan",
        "The strike committees",
        "Young temporary workers",
        "Retired miners",
        "The families of the prisoners",
    ],
    "verb": [
        "demand",
        "call for",
        "will fight for",
        "have voted for",
        "stand up for",
        "refuse to give up",
        "marched yesterday for",
        "keep organising for",
        "raised their voices for",
        "will never stop asking for",
    ],
    "object": [
        "the release of the three leaders",
        "an end to the police raids",
        "safe tunnels and clean water",
        "a living wage for every shift",
        "the right to strike without fear",
        "permanent contracts instead of agency work",
        "the return of the dismissed workers",
        "an independent inquiry into the arrests",
        "the withdrawal of the soldiers from the valley",
        "free health care for the sick miners",
        "the cancellation of the mining concessions",
        "equal pay for women underground",
    ],
    "tail": [
        "before the end of the month.",
        "in every town of the region.",
        "together with their families.",
        "in spite of the threats.",
        "at the gates of the company.",
        "on the 12th of March.",
        "until the last prisoner walks free.",
        "with a strike of 48 hours.",
        "in front of the Ministry of Labour.",
        "all over the world!",
        "as they did in 1998 and in 2007.",
        "without waiting for the courts.",
    ],
    "free": [
        "Solidarity is a weapon of the working class.",
        "An injury to one is an injury to all!",
        "Free the jailed miners now!",
        "Who profits from the copper of the Andes?",
        "The company made a profit of 1,200 million dollars last year.",
        "Wages have fallen by 15% since the new contract was signed.",
        "More than 3,000 workers signed the petition in two days.",
        "The meeting starts at 18:30 in the union hall.",
        "Send messages of support to solidarity@example.org.",
        "The court will hear the case on 20 November.",
        "We do not ask for charity; we ask for justice.",
        "The mine is 4,200 metres above sea level.",
        "Nobody should die for a day's pay.",
        "Why are the leaders still in prison?",
        "Our answer is unity, not fear.",
    ],
}

ES = {
    "subject": [
        "Los mineros de Casapalca",
        "Nuestros sindicatos",
        "Los dirigentes sindicales",
        "Miles de trabajadores",
        "Las mujeres de los campamentos mineros",
        "Las federaciones",
        "Los estudiantes y los maestros",
        "Los trabajadores portuarios",
        "Las bases del sindicato",
        "Los campesinos del valle",
        "Los ferroviarios de Japón",
        "Los comités de huelga",
        "Los jóvenes eventuales",
        "Los mineros jubilados",
        "Las familias de los presos",
    ],
    "verb": [
        "exigen",
        "reclaman",
        "lucharán por",
        "han votado por",
        "se levantan por",
        "no renuncian a",
        "marcharon ayer por",
        "siguen organizándose por",
        "alzaron la voz por",
        "nunca dejarán de pedir",
    ],
    "object": [
        "la libertad de los tres dirigentes",
        "el fin de los allanamientos policiales",
        "túneles seguros y agua limpia",
        "un salario digno por cada turno",
        "el derecho a la huelga sin miedo",
        "contratos fijos en lugar de la subcontratación",
        "la reposición de los despedidos",
        "una investigación independiente de las detenciones",
        "la retirada de los soldados del valle",
        "atención médica gratuita para los mineros enfermos",
        "la anulación de las concesiones mineras",
        "igual salario para las mujeres en la mina",
    ],
    "tail": [
        "antes de fin de mes.",
        "en cada pueblo de la región.",
        "junto con sus familias.",
        "a pesar de las amenazas.",
        "a las puertas de la empresa.",
        "el 12 de marzo.",
        "hasta que el último preso salga libre.",
        "con una huelga de 48 horas.",
        "frente al Ministerio de Trabajo.",
        "en todo el mundo.",
        "como lo hicieron en 1998 y en 2007.",
        "sin esperar a los tribunales.",
    ],
    "free": [
        "La solidaridad es un arma de la clase obrera.",
        "¡Un golpe contra uno es un golpe contra todos!",
        "¡Libertad inmediata para los mineros presos!",
        "¿Quién se queda con el cobre de los Andes?",
        "La empresa ganó 1.200 millones de dólares el año pasado.",
        "Los salarios han caído un 15 % desde que se firmó el nuevo convenio.",
        "Más de 3.000 trabajadores firmaron la petición en dos días.",
        "La asamblea empieza a las 18:30 en el local sindical.",
        "Envíen mensajes de apoyo a solidarity@example.org.",
        "El tribunal verá el caso el 20 de noviembre.",
        "No pedimos caridad; pedimos justicia.",
        "La mina está a 4.200 metros sobre el nivel del mar.",
        "Nadie debería morir por el jornal de un día.",
        "¿Por qué siguen presos los dirigentes?",
        "Nuestra respuesta es la unidad, no el miedo.",
        "El Sr. Quispe y la Dra. Núñez hablaron en la plaza de Lima.",
        "¡Viva la lucha de los pueblos de América Latina!",
    ],
}

JA = {
    "subject": [
        "カサパルカの鉱山労働者は",
        "私たちの労働組合は",
        "書記長は",
        "数千人の労働者が",
        "鉱山町の女性たちは",
        "連合は",
        "学生と教員は",
        "港湾労働者は",
        "組合のすべての支部が",
        "谷の農民たちは",
        "日本の鉄道労働者は",
        "ストライキ委員会は",
        "若い非正規労働者は",
        "退職した鉱山労働者は",
        "囚われた人々の家族は",
    ],
    "object": [
        "三人の指導者の釈放を",
        "警察の家宅捜索の中止を",
        "安全な坑道ときれいな水を",
        "すべての勤務に生活できる賃金を",
        "恐れずにストライキをする権利を",
        "派遣ではなく正規の雇用を",
        "解雇された労働者の職場復帰を",
        "逮捕についての独立した調査を",
        "谷からの軍隊の撤退を",
        "病気の鉱山労働者への無料の医療を",
        "鉱山採掘権の取り消しを",
        "坑内で働く女性への同一賃金を",
    ],
    "verb": [
        "要求している。",
        "求めて闘う。",
        "求めて投票した。",
        "求めて立ち上がった。",
        "決してあきらめない。",
        "求めて昨日デモ行進した。",
        "求めて組織を広げている。",
        "求めて声を上げた。",
        "求め続けるだろう！",
        "今月中に勝ち取るつもりだ。",
    ],
    "lead": [
        "",
        "",
        "会社の門の前で、",
        "脅しにもかかわらず、",
        "家族とともに、",
        "3月12日に、",
        "48時間ストライキで、",
        "地域のすべての町で、",
        "厚生労働省の前で、",
        "裁判所を待たずに、",
        "1998年と2007年のように、",
    ],
    "free": [
        "連帯は労働者階級の武器である。",
        "一人への攻撃は全員への攻撃だ！",
        "投獄された鉱山労働者を今すぐ釈放せよ！",
        "アンデスの銅で利益を得ているのは誰か？",
        "会社は昨年、12億ドルの利益を上げた。",
        "新しい協約が結ばれてから、賃金は15％下がった。",
        "2日間で3,000人以上の労働者が署名した。",
        "集会は組合会館で18時30分に始まる。",
        "連帯のメッセージはsolidarity@example.orgへ。",
        "裁判所は11月20日に審理を行う。",
        "私たちは施しを求めていない。正義を求めているのだ。",
        "鉱山は海抜4,200メートルの高さにある。",
        "一日の賃金のために死んでよい人はいない。",
        "なぜ指導者たちはいまも獄中にいるのか？",
        "私たちの答えは恐怖ではなく団結だ。",
        "「団結こそ力」と彼女は言った。",
        "ＦＳＴＭＢの旗が広場にひるがえった（２０２４年）。",
    ],
}


def sentences_en_es(table: dict[str, list[str]], rng: random.Random) -> list[str]:
    lines = []
    while len(lines) < LINES_PER_LANGUAGE:
        if rng.random() < 0.2:
            lines.append(rng.choice(table["free"]))
            continue
        parts = [rng.choice(table[k]) for k in ("subject", "verb", "object", "tail")]
        line = " ".join(parts)
        if rng.random() < 0.3:  # two sentences on one line, as in a paragraph
            line += " " + rng.choice(table["free"])
        lines.append(line)
    return lines


def sentences_ja(table: dict[str, list[str]], rng: random.Random) -> list[str]:
    lines = []
    while len(lines) < LINES_PER_LANGUAGE:
        if rng.random() < 0.2:
            lines.append(rng.choice(table["free"]))
            continue
        parts = [rng.choice(table[k]) for k in ("lead", "subject", "object", "verb")]
        line = "".join(parts)
        if rng.random() < 0.3:
            line += rng.choice(table["free"])
        lines.append(line)
    return lines


def statements(lang: str) -> list[str]:
    """The hand-written statements in tests/data for this language, one paragraph per line."""
    lines: list[str] = []
    for path in sorted(HERE.glob(f"*.{lang}.*")):
        if path.suffix in (".txt", ".md"):
            text = path.read_text(encoding="utf-8")
            lines += [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return lines


def main() -> None:
    out = HERE / "corpus"
    out.mkdir(exist_ok=True)
    for lang, table, build in (
        ("en", EN, sentences_en_es),
        ("es", ES, sentences_en_es),
        ("ja", JA, sentences_ja),
    ):
        rng = random.Random(f"corpus-{lang}")
        lines = build(table, rng) + statements(lang)
        (out / f"{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
