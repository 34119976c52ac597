import sys
from pipeline.glossary import load_glossary, protect, restore
from pipeline.engines.apertium import ApertiumEngine
gl = load_glossary("glossary.yml")
e = ApertiumEngine()
texts = [a for a in sys.argv[1:]] or ["The arrests are political repression aimed at the union."]
p = protect(gl, texts, "en", "es", e.glossary_strategy)
print(p.texts)
d = [t.text for t in e.translate(p.texts, "en", "es")]
print(d)
print(restore(d, p))
