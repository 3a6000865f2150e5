#include "runtime/names.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include "base/cleanup.h"

static const char *const adjectives[] = {
	"amber",    "ancient", "bold",	   "brave",    "bright",  "calm",	"careful", "clever",  "cosmic",
	"crisp",    "curious", "daring",   "eager",    "earnest", "elated",	"fancy",   "fearless", "gentle",
	"gifted",   "golden",  "graceful", "happy",    "hardy",	  "honest",	"humble",  "jolly",   "keen",
	"kind",	    "lively",  "loyal",	   "lucid",    "merry",	  "mighty",	"modest",  "nimble",  "noble",
	"patient",  "plucky",  "polite",   "proud",    "quick",	  "quiet",	"rapid",   "serene",  "sharp",
	"shiny",    "silent",  "sleepy",   "smooth",   "snappy",  "steady",	"sturdy",  "sunny",   "swift",
	"tender",   "tidy",    "upbeat",   "vivid",    "warm",	  "wise",	"witty",   "zealous",
};

static const char *const surnames[] = {
	"agnesi",    "ampere",	  "babbage",  "bardeen",   "bohr",	"boole",     "cannon",	 "carson",
	"cerf",	     "curie",	  "darwin",   "dijkstra",  "einstein",	"euler",     "faraday",	 "fermi",
	"feynman",   "franklin",  "galileo",  "gauss",	   "goodall",	"hamilton",  "hawking",	 "hertz",
	"hodgkin",   "hopper",	  "huygens",  "johnson",   "joule",	"kepler",    "knuth",	 "lamarr",
	"leavitt",   "liskov",	  "lovelace", "maxwell",   "meitner",	"mendel",    "mirzakhani", "newton",
	"noether",   "ohm",	  "pascal",   "pasteur",   "planck",	"ramanujan", "ritchie",	 "sagan",
	"shannon",   "somerville", "tesla",   "thompson",  "turing",	"volta",     "watt",	 "wu",
};

static uint32_t pick(uint32_t n)
{
	uint32_t r = 0;

	/* getrandom of 4 bytes never blocks after boot nor returns short; a failure picks 0. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = 0;
	return r % n;
}

void nd_ctr_gen_name(char *buf, size_t size)
{
	snprintf(buf, size, "%s_%s", adjectives[pick(ND_ARRAY_SIZE(adjectives))], surnames[pick(ND_ARRAY_SIZE(surnames))]);
}
