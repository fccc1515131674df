/* A plugin that declares an ABI version no host supports: aip-broker must refuse to load it. */
#include "aip_plugin.h"

AIP_PLUGIN_API const aip_plugin_descriptor* aip_plugin_descriptor_get(void) {
    static const aip_plugin_descriptor descriptor = {
        .abi_version = AIP_PLUGIN_ABI_VERSION + 998u,
        .struct_size = sizeof(aip_plugin_descriptor),
        .name = "wrong-abi",
        .version = "0",
    };
    return &descriptor;
}
