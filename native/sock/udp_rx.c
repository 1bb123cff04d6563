/* Native UDP receive path (added in the next step). */
#include "sock.h"

napi_value udp_rx_init(napi_env env, napi_value exports) { return exports; }
