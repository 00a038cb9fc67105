#include "crudp_shim.h"

int crudp_shim_version(void) { return 1; }
