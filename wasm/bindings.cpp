#include "lmul/multiply.hpp"
#include <emscripten/bind.h>
float mul(float a, float b) { return lmul::multiply(a, b, lmul::MulSpec{}); }
EMSCRIPTEN_BINDINGS(lmul) { emscripten::function("mul", &mul); }
