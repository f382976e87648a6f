"""Prose in languages written with marks (public texts), and English prose holding a few
marked names, for the tests of the engine's re-reading of marked letters
(:mod:`aigateway.ocr.engine.diacritics`)."""

from __future__ import annotations

__all__ = ("ENGLISH_WITH_NAMES", "FRENCH", "GERMAN", "SPANISH")

FRENCH = (
    # Declaration of the Rights of Man and of the Citizen (1789), preamble and articles 1-5.
    "Les représentants du peuple français, constitués en Assemblée nationale, "
    "considérant que l'ignorance, l'oubli ou le mépris des droits de l'homme sont les "
    "seules causes des malheurs publics et de la corruption des gouvernements, ont "
    "résolu d'exposer, dans une déclaration solennelle, les droits naturels, "
    "inaliénables et sacrés de l'homme, afin que cette déclaration, constamment "
    "présente à tous les membres du corps social, leur rappelle sans cesse leurs "
    "droits et leurs devoirs.\n\n"
    "Article premier. Les hommes naissent et demeurent libres et égaux en droits. Les "
    "distinctions sociales ne peuvent être fondées que sur l'utilité commune.\n\n"
    "Article 2. Le but de toute association politique est la conservation des droits "
    "naturels et imprescriptibles de l'homme. Ces droits sont la liberté, la "
    "propriété, la sûreté, et la résistance à l'oppression.\n\n"
    "Article 3. Le principe de toute souveraineté réside essentiellement dans la "
    "nation. Nul corps, nul individu ne peut exercer d'autorité qui n'en émane "
    "expressément.\n\n"
    "Article 4. La liberté consiste à pouvoir faire tout ce qui ne nuit pas à autrui "
    ": ainsi, l'exercice des droits naturels de chaque homme n'a de bornes que celles "
    "qui assurent aux autres membres de la société la jouissance de ces mêmes droits. "
    "Ces bornes ne peuvent être déterminées que par la loi.\n\n"
    "Article 5. La loi n'a le droit de défendre que les actions nuisibles à la "
    "société. Tout ce qui n'est pas défendu par la loi ne peut être empêché, et nul "
    "ne peut être contraint à faire ce qu'elle n'ordonne pas."
)

GERMAN = (
    # German Basic Law (Grundgesetz), articles 1-3, an official work.
    "Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist "
    "Verpflichtung aller staatlichen Gewalt. Das Deutsche Volk bekennt sich darum zu "
    "unverletzlichen und unveräußerlichen Menschenrechten als Grundlage jeder "
    "menschlichen Gemeinschaft, des Friedens und der Gerechtigkeit in der Welt.\n\n"
    "Jeder hat das Recht auf die freie Entfaltung seiner Persönlichkeit, soweit er "
    "nicht die Rechte anderer verletzt und nicht gegen die verfassungsmäßige Ordnung "
    "oder das Sittengesetz verstößt. Jeder hat das Recht auf Leben und körperliche "
    "Unversehrtheit. Die Freiheit der Person ist unverletzlich. In diese Rechte darf "
    "nur auf Grund eines Gesetzes eingegriffen werden.\n\n"
    "Alle Menschen sind vor dem Gesetz gleich. Männer und Frauen sind "
    "gleichberechtigt. Der Staat fördert die tatsächliche Durchsetzung der "
    "Gleichberechtigung von Frauen und Männern und wirkt auf die Beseitigung "
    "bestehender Nachteile hin. Niemand darf wegen seines Geschlechtes, seiner "
    "Abstammung, seiner Rasse, seiner Sprache, seiner Heimat und Herkunft, seines "
    "Glaubens, seiner religiösen oder politischen Anschauungen benachteiligt oder "
    "bevorzugt werden."
)

SPANISH = (
    # Universal Declaration of Human Rights, articles 1-6, in Spanish.
    "Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados "
    "como están de razón y conciencia, deben comportarse fraternalmente los unos con "
    "los otros. Toda persona tiene todos los derechos y libertades proclamados en "
    "esta Declaración, sin distinción alguna de raza, color, sexo, idioma, religión, "
    "opinión política o de cualquier otra índole, origen nacional o social, posición "
    "económica, nacimiento o cualquier otra condición.\n\n"
    "Todo individuo tiene derecho a la vida, a la libertad y a la seguridad de su "
    "persona. Nadie estará sometido a esclavitud ni a servidumbre; la esclavitud y la "
    "trata de esclavos están prohibidas en todas sus formas. Nadie será sometido a "
    "torturas ni a penas o tratos crueles, inhumanos o degradantes. Todo ser humano "
    "tiene derecho, en todas partes, al reconocimiento de su personalidad jurídica. "
    "¿Quién decidirá? ¡Todos!"
)

ENGLISH_WITH_NAMES = (
    # English, with three marked names and a loan word.
    "The committee met on Tuesday in the town hall. José Martínez presented the "
    "budget for the coming year, and Jürgen Müller asked how the new library would be "
    "paid for. The café on the corner will stay open during the works, the mayor "
    "said, and the road to the station will close for two weeks in the spring. "
    "Residents can read the full plan at the office or online, and send their "
    "comments before the end of the month."
)
