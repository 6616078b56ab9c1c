"""Readings of names across scripts: kana and common kanji names as romaji, romaji spellings folded.

"YAMADA Taro", "ﾔﾏﾀﾞ ﾀﾛｳ" and "山田 太郎" are one name written three ways. Kana converts exactly; kanji
have no reading without a dictionary, so this module knows the readings of the most common surnames
and given names only (those cover a large share of people in Japanese B2B data) and says ``None`` for
the rest: an unknown reading never makes names contradict, it only leaves them uncompared.

Romaji is folded to one loose spelling so Hepburn and Kunrei spellings and long-vowel conventions
compare equal: Satō / Satou / Satoh / Sato, Shinji / Sinzi, Yuuki / Yūki / Yuki.
"""

from __future__ import annotations

import re
import unicodedata

from connector.matching.text import is_latin_word

_KANA = (
    "ア:a イ:i ウ:u エ:e オ:o カ:ka キ:ki ク:ku ケ:ke コ:ko サ:sa シ:si ス:su セ:se ソ:so タ:ta チ:ti"
    " ツ:tu テ:te ト:to ナ:na ニ:ni ヌ:nu ネ:ne ノ:no ハ:ha ヒ:hi フ:hu ヘ:he ホ:ho マ:ma ミ:mi ム:mu"
    " メ:me モ:mo ヤ:ya ユ:yu ヨ:yo ラ:ra リ:ri ル:ru レ:re ロ:ro ワ:wa ヰ:i ヱ:e ヲ:o ン:n ガ:ga ギ:gi"
    " グ:gu ゲ:ge ゴ:go ザ:za ジ:zi ズ:zu ゼ:ze ゾ:zo ダ:da ヂ:zi ヅ:zu デ:de ド:do バ:ba ビ:bi ブ:bu"
    " ベ:be ボ:bo パ:pa ピ:pi プ:pu ペ:pe ポ:po ヴ:bu ァ:a ィ:i ゥ:u ェ:e ォ:o ャ:ya ュ:yu ョ:yo ヮ:wa"
)
KANA_ROMAJI: dict[str, str] = dict(pair.split(":") for pair in _KANA.split())
"""Katakana to Kunrei-style romaji, the spelling :func:`fold_romaji` folds every spelling to."""

_SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}


def kana_to_romaji(katakana: str) -> str | None:
    """Katakana (after NFKC and hiragana folding) as folded romaji; None when it holds anything else."""
    out: list[str] = []
    double_next = False
    for ch in katakana:
        if ch == "ッ":
            double_next = True
            continue
        if ch == "ー":
            continue  # a long vowel: folded spellings drop it anyway
        if ch in _SMALL_Y and out and out[-1].endswith("i") and len(out[-1]) > 1:
            out[-1] = out[-1][:-1] + "y" + _SMALL_Y[ch]  # キャ → kya
            continue
        syllable = KANA_ROMAJI.get(ch)
        if syllable is None:
            return None
        out.append(syllable[0] + syllable if double_next and syllable[0] not in "aiueon" else syllable)
        double_next = False
    return fold_romaji("".join(out))


_HEPBURN = (
    ("tch", "tt"), ("sh", "sy"), ("ch", "ty"), ("ts", "t"), ("j", "zy"), ("fu", "hu"),
    ("syi", "si"), ("tyi", "ti"), ("zyi", "zi"), ("dzu", "zu"),
)  # fmt: skip
_LONG_VOWEL = re.compile(r"o[uoh](?![aiuey])|uu|aa|ii|ee")


def fold_romaji(text: str) -> str:
    """Lower-case romaji with macrons, apostrophes and long vowels dropped and Hepburn folded to Kunrei.

    Idempotent. "Satō", "Satou", "Satoh" → "sato"; "Shinji" → "sinzi"; "Homma" → "honma".
    """
    decomposed = unicodedata.normalize("NFKD", text).casefold()  # NFKD can make capitals: 𝙰 → A
    current = "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha())
    for _ in range(8):  # a replacement can form another foldable spelling: fold until nothing changes
        following = _fold_step(current)
        if following == current:
            break
        current = following
    return current


def _fold_step(letters: str) -> str:
    for hepburn, kunrei in _HEPBURN:
        letters = letters.replace(hepburn, kunrei)
    letters = re.sub(r"m(?=[bpm])", "n", letters)
    return _LONG_VOWEL.sub(lambda m: m.group(0)[0], letters)


# ---- readings of common kanji names (Hepburn; folded when loaded)

_SURNAMES = """
佐藤:sato 鈴木:suzuki 高橋:takahashi 田中:tanaka 伊藤:ito 渡辺:watanabe 山本:yamamoto 中村:nakamura
小林:kobayashi 加藤:kato 吉田:yoshida 山田:yamada 佐々木:sasaki 山口:yamaguchi 松本:matsumoto 井上:inoue
木村:kimura 林:hayashi 斎藤:saito 清水:shimizu 山崎:yamazaki,yamasaki 森:mori 池田:ikeda 橋本:hashimoto
阿部:abe 石川:ishikawa 山下:yamashita 中島:nakajima,nakashima 石井:ishii 小川:ogawa 前田:maeda 岡田:okada
長谷川:hasegawa 藤田:fujita 後藤:goto 近藤:kondo 村上:murakami 遠藤:endo 青木:aoki 坂本:sakamoto
福田:fukuda 太田:ota 西村:nishimura 藤井:fujii 金子:kaneko 岡本:okamoto 藤原:fujiwara 中野:nakano
三浦:miura 原田:harada 中川:nakagawa 松田:matsuda 竹内:takeuchi 小野:ono 田村:tamura 中山:nakayama
和田:wada 石田:ishida 森田:morita 上田:ueda 原:hara 内田:uchida 柴田:shibata 酒井:sakai 宮崎:miyazaki
横山:yokoyama 高木:takagi 安藤:ando 宮本:miyamoto 大野:ono 小島:kojima 谷口:taniguchi 今井:imai
工藤:kudo 高田:takada,takata 増田:masuda 丸山:maruyama 杉山:sugiyama 村田:murata 大塚:otsuka 新井:arai
小山:koyama,oyama 平野:hirano 藤本:fujimoto 河野:kono,kawano 上野:ueno 野口:noguchi 武田:takeda
松井:matsui 千葉:chiba 岩崎:iwasaki 菅原:sugawara 木下:kinoshita 久保:kubo 佐野:sano 野村:nomura
松尾:matsuo 市川:ichikawa 菊地:kikuchi 杉本:sugimoto 古川:furukawa 大西:onishi 島田:shimada 水野:mizuno
桜井:sakurai 高野:takano 渡部:watanabe 吉川:yoshikawa 山内:yamauchi 西田:nishida 飯田:iida 菊池:kikuchi
西川:nishikawa 小松:komatsu 北村:kitamura 安田:yasuda 五十嵐:igarashi 川口:kawaguchi 平田:hirata 関:seki
中田:nakata 久保田:kubota 服部:hattori 東:azuma,higashi 岩田:iwata 土屋:tsuchiya 川崎:kawasaki
福島:fukushima 本田:honda 辻:tsuji 樋口:higuchi 秋山:akiyama 田口:taguchi 永井:nagai 山中:yamanaka
中西:nakanishi 吉村:yoshimura 川上:kawakami 大橋:ohashi 石原:ishihara 松岡:matsuoka 浜田:hamada
馬場:baba 森本:morimoto 矢野:yano 浅野:asano 松下:matsushita 星野:hoshino 大久保:okubo 吉岡:yoshioka
小池:koike 野田:noda 荒木:araki 大谷:otani 内藤:naito 松浦:matsuura 熊谷:kumagai 黒田:kuroda
尾崎:ozaki 永田:nagata 川村:kawamura 望月:mochizuki 田辺:tanabe 松村:matsumura 荒井:arai 堀:hori
大島:oshima 平井:hirai 早川:hayakawa 菅野:sugano,kanno 栗原:kurihara 西山:nishiyama 広瀬:hirose
横田:yokota 石橋:ishibashi 萩原:hagiwara 岩本:iwamoto 片山:katayama 関口:sekiguchi 宮田:miyata
大石:oishi 高山:takayama 本間:homma 吉野:yoshino 須藤:sudo 岡崎:okazaki 小田:oda 伊東:ito 鎌田:kamata
上原:uehara 篠原:shinohara 小西:konishi 松原:matsubara 福井:fukui 古賀:koga 大森:omori 成田:narita
南:minami 奥村:okumura 内山:uchiyama 沢田:sawada 川島:kawashima 桑原:kuwabara 三宅:miyake 片岡:kataoka
富田:tomita 杉浦:sugiura 岡:oka 八木:yagi 奥田:okuda 小沢:ozawa 松永:matsunaga 北川:kitagawa
関根:sekine 河合:kawai 平山:hirayama 牧野:makino 白石:shiraishi 今村:imamura 寺田:terada 青山:aoyama
中尾:nakao 小倉:ogura 渋谷:shibuya 上村:uemura 小野寺:onodera 大山:oyama 足立:adachi 岡村:okamura
坂口:sakaguchi 天野:amano 多田:tada 佐久間:sakuma 根本:nemoto 豊田:toyoda 田島:tajima 飯塚:iizuka
村山:murayama 武藤:muto 西:nishi 白井:shirai 宇野:uno 浜:hama 高崎:takasaki 宮下:miyashita
"""

_GIVEN_NAMES = """
太郎:taro 次郎:jiro 一郎:ichiro 健:ken,takeshi,tsuyoshi,takeru 健一:kenichi 健太:kenta 健二:kenji
健太郎:kentaro 翔太:shota 大輔:daisuke 拓也:takuya 直樹:naoki 誠:makoto 学:manabu 浩:hiroshi
博:hiroshi 隆:takashi 剛:tsuyoshi,takeshi,go 茂:shigeru 清:kiyoshi 実:minoru 修:osamu 明:akira
亮:ryo,akira 聡:satoshi 智:satoshi,tomo 蓮:ren 陽翔:haruto 大翔:hiroto,yamato 悠人:yuto,haruto
翔:sho,kakeru 大樹:daiki,hiroki 和也:kazuya 達也:tatsuya 哲也:tetsuya 雄一:yuichi 裕太:yuta
優:yu,masaru,yutaka 一:hajime 勇:isamu 豊:yutaka 正:tadashi 進:susumu 功:isao 拓海:takumi 翼:tsubasa
雅人:masato 正人:masato 秀樹:hideki 英樹:hideki 慎也:shinya 康介:kosuke 浩二:koji 光:hikaru 航:wataru
颯太:sota 湊:minato 樹:itsuki 陸:riku 悠真:yuma 大介:daisuke 健司:kenji 誠一:seiichi 和夫:kazuo
花子:hanako 陽子:yoko 恵子:keiko 京子:kyoko 洋子:yoko 幸子:sachiko 和子:kazuko 美穂:miho 愛:ai
由美:yumi 裕子:yuko 真由美:mayumi 明美:akemi 直美:naomi 久美子:kumiko 智子:tomoko 美香:mika
恵:megumi 舞:mai 彩:aya 麻衣:mai 結衣:yui 陽菜:hina,haruna 美咲:misaki 葵:aoi 凛:rin 優子:yuko
理恵:rie 香織:kaori 沙織:saori 千尋:chihiro 奈々:nana 綾:aya 瞳:hitomi 純子:junko 典子:noriko
真理子:mariko 由紀:yuki 結菜:yuna 芽依:mei 莉子:riko 愛子:aiko 美紀:miki 早苗:sanae 麻美:asami
絵美:emi 亜美:ami 由香:yuka 真央:mao 彩花:ayaka 七海:nanami 桃子:momoko 明子:akiko
"""


def _load(table: str) -> dict[str, frozenset[str]]:
    readings: dict[str, frozenset[str]] = {}
    for entry in table.split():
        name, _, spellings = entry.partition(":")
        readings[name] = frozenset(fold_romaji(s) for s in spellings.split(","))
    return readings


SURNAME_READINGS = _load(_SURNAMES)
GIVEN_NAME_READINGS = _load(_GIVEN_NAMES)
_LONGEST_SURNAME = max(len(name) for name in SURNAME_READINGS)


def readings(token: str) -> frozenset[str] | None:
    """Folded romaji readings of one folded name token, or None when they cannot be known.

    Latin tokens read as themselves, kana by conversion, kanji from the tables of common names.
    """
    if is_latin_word(token):
        folded = fold_romaji(token)
        return frozenset({folded}) if folded else None
    kana = kana_to_romaji(token)
    if kana:
        return frozenset({kana})
    return SURNAME_READINGS.get(token) or GIVEN_NAME_READINGS.get(token)


def split_known_surname(token: str) -> tuple[str, str] | None:
    """Split an unspaced kanji name ("佐藤健") at its longest known surname; None when none is known."""
    for size in range(min(_LONGEST_SURNAME, len(token) - 1), 0, -1):
        if token[:size] in SURNAME_READINGS:
            return token[:size], token[size:]
    return None
