/* A shim preloaded before libpacketmark whose dlsym() finds nothing, so that libpacketmark
 * takes its fallback: the socket syscall itself. Nothing else in these test processes asks
 * dlsym for anything. */
#include <stddef.h>

void *dlsym(void *handle, const char *symbol)
{
    (void)handle;
    (void)symbol;
    return NULL;
}
