// Everything public in one include.
#pragma once

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "dgen/size.hpp"
#include "dgen/spec.hpp"
#include "dgen/version.hpp"
