def test_build0(app):
    pass
def test_build(two_worlds, principals):
    p = principals(two_worlds.a)
