/*
 * A stand-in for Windows' bcryptprimitives.dll, for checking the win32-x64 binary under wine only
 * (npm/release.sh puts it in the scratch wine prefix; it is never packed). Rust's standard library
 * gets random bytes from ProcessPrng in bcryptprimitives.dll, which every Windows since 10 has but
 * Debian's wine 8.0 lacks, so the binary would not start there. This one forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
