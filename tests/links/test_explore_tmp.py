import time
def test_build(two_worlds, principals):
    t=time.time()
    p = principals(two_worlds.a)
    print("principals", time.time()-t)
