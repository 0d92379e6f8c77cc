// Everything a multirank program uses, in one include.
#pragma once

#include "multirank/error.hpp"
#include "multirank/executor.hpp"
#include "multirank/future.hpp"
#include "multirank/map_options.hpp"
#include "multirank/options.hpp"
#include "multirank/pool.hpp"
#include "multirank/profile.hpp"
#include "multirank/progress.hpp"
#include "multirank/runtime.hpp"
#include "multirank/task.hpp"
