#!/usr/bin/python3
# The article's section 2.1 program, the Python side of apps/bench/process_side_by_side.sh: five
# multiprocessing.Process workers that each print "Worker i started", sleep 2 s and print
# "Worker i finished", then "All workers finished". They run at once, so the whole program takes
# about 2 s plus start-up, not 10 s: the script times it end to end against multirank's
# example_process. Run as: /usr/bin/python3 apps/bench/peers/article_process.py
import multiprocessing
import time


def worker(num):
    print(f"Worker {num} started")
    time.sleep(2)
    print(f"Worker {num} finished")


if __name__ == "__main__":
    processes = []
    for i in range(5):
        p = multiprocessing.Process(target=worker, args=(i,))
        processes.append(p)
        p.start()
    for p in processes:
        p.join()
    print("All workers finished")
