/* A plugin that declares an ABI version no host supports: aip-broker must refuse to load it. */
#include "aip_plugin.h"

AIP_PLUGIN_API const aip_plugin_descriptor* aip_plugin_descriptor_get(void) {
    static const aip_plugin_descriptor descriptor = {AIP_PLUGIN_ABI_VERSION + 998u, sizeof(aip_plugin_descriptor),
                                                     "wrong-abi", "0"};
    return &descriptor;
}
