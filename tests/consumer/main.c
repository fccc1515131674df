/*
 * Consumer of the installed aip engine: registers one device through the C ABI and checks that
 * the engine replies with REGISTERED. Exits 0 on success, 1 with a message otherwise.
 */
#include <stdio.h>
#include <string.h>

#include <aip_plugin.h>

int main(void) {
    const aip_plugin_descriptor* plugin = aip_plugin_descriptor_get();
    if (plugin->abi_version != AIP_PLUGIN_ABI_VERSION) {
        fprintf(stderr, "ABI version %u, expected %u\n", plugin->abi_version, AIP_PLUGIN_ABI_VERSION);
        return 1;
    }

    aip_engine_config config;
    aip_engine_config_init(&config);
    aip_engine* engine = NULL;
    if (aip_engine_create(&config, 0, &engine) != AIP_OK) {
        fprintf(stderr, "create failed: %s\n", aip_last_create_error());
        return 1;
    }

    /* REGISTER {"role": "device", "device_id": "d1"} as MessagePack. */
    static const unsigned char signature[] = {'A', 'I', 'P', 1};
    static const unsigned char command[] = {0x01};
    static const unsigned char body[] = {0x82, 0xa4, 'r', 'o', 'l', 'e', 0xa6, 'd', 'e', 'v', 'i', 'c', 'e',
                                         0xa9, 'd', 'e', 'v', 'i', 'c', 'e', '_', 'i', 'd', 0xa2, 'd', '1'};
    const aip_frame frames[] = {{signature, sizeof(signature)}, {command, sizeof(command)}, {body, sizeof(body)}};
    static const unsigned char routing_id[] = {0, 1, 2, 3, 4};

    if (aip_engine_on_message(engine, routing_id, sizeof(routing_id), frames, 3, 10) != AIP_OK) {
        fprintf(stderr, "on_message failed: %s\n", aip_engine_last_error(engine));
        return 1;
    }

    aip_action action;
    if (aip_engine_next_action(engine, &action) != AIP_OK) {
        fprintf(stderr, "no reply to REGISTER\n");
        return 1;
    }
    if (action.frame_count < 3 || action.frames[1].size != 1 || action.frames[1].data[0] != 0x02) {
        fprintf(stderr, "the reply to REGISTER is not REGISTERED\n");
        return 1;
    }

    aip_engine_destroy(engine);
    printf("consumer: REGISTERED received\n");
    return 0;
}
