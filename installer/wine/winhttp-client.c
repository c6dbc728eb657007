/* A Windows HTTPS client for installer/test-windows.sh, run under Wine: it calls the
 * agent's localhost API the way a browser on the desktop does, from a process of the
 * console's session, with Windows' own certificate checks (the machine's Root store).
 *   winhttp-client.exe GET|POST PATH ORIGIN [BODY]
 *   winhttp-client.exe TOKEN        prints "elevated" or "limited": its own token
 * The agent's port is THAIID_PORT, else 47113. THAIID_TOKEN=elevated|limited: the client
 * runs again under the token linked to its own when that is not the one asked for (an
 * administrator's two tokens under UAC: Wine 8 starts programs elevated, Wine 10 limited,
 * and either lets a program switch, granting what UAC would ask the person for).
 * THAIID_IGNORE_UNKNOWN_CA=1 accepts a chain to a root Windows does not know (Wine 10,
 * whose chain engine does not read the machine Root store the agent writes); the test says
 * so where it uses it.
 * Prints "HTTP <status>" and the body; exit 0 on an answer, 2 when TLS or the
 * connection fails (the Windows error printed). Built with mingw by the test. */
#include <windows.h>
#include <winhttp.h>
#include <stdio.h>
#include <wchar.h>

static int fail(const char *what) {
    printf("FAILED %s: error %lu\n", what, GetLastError());
    return 2;
}

static int elevated(HANDLE token) {
    TOKEN_ELEVATION elevation = {0};
    DWORD size;
    return GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size) &&
           elevation.TokenIsElevated;
}

/* Runs this command line again under the token linked to `token`; its exit code. */
static int run_linked(HANDLE token) {
    TOKEN_LINKED_TOKEN linked;
    DWORD size, code = 2;
    if (!GetTokenInformation(token, TokenLinkedToken, &linked, sizeof linked, &size))
        return fail("GetTokenInformation(TokenLinkedToken)");
    if (elevated(linked.LinkedToken) == elevated(token)) {
        printf("FAILED the linked token is as elevated as ours\n");
        return 2;
    }
    STARTUPINFOW startup = {sizeof startup};
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION process;
    wchar_t *line = _wcsdup(GetCommandLineW());
    fflush(stdout);
    if (!CreateProcessAsUserW(linked.LinkedToken, NULL, line, NULL, NULL, TRUE, 0, NULL, NULL,
                              &startup, &process))
        return fail("CreateProcessAsUserW (the linked token)");
    WaitForSingleObject(process.hProcess, INFINITE);
    GetExitCodeProcess(process.hProcess, &code);
    return (int)code;
}

int wmain(int argc, wchar_t **argv) {
    HANDLE token;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return fail("OpenProcessToken");
    wchar_t wanted[16];
    if (GetEnvironmentVariableW(L"THAIID_TOKEN", wanted, 16) > 0 &&
        (wcscmp(wanted, L"elevated") == 0) != elevated(token))
        return run_linked(token);
    if (argc == 2 && wcscmp(argv[1], L"TOKEN") == 0) {
        printf("%s\n", elevated(token) ? "elevated" : "limited");
        return 0;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: winhttp-client GET|POST PATH ORIGIN [BODY] | TOKEN\n");
        return 64;
    }
    const wchar_t *method = argv[1], *path = argv[2], *origin = argv[3];
    const char *body = NULL;
    char body_utf8[4096] = "";
    if (argc > 4) {
        WideCharToMultiByte(CP_UTF8, 0, argv[4], -1, body_utf8, sizeof body_utf8, NULL, NULL);
        body = body_utf8;
    }
    HINTERNET session = WinHttpOpen(L"thaiid-test", WINHTTP_ACCESS_TYPE_NO_PROXY,
                                    WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (!session) return fail("WinHttpOpen");
    WinHttpSetTimeouts(session, 5000, 5000, 45000, 45000);
    wchar_t port_text[16];
    INTERNET_PORT port = 47113;
    if (GetEnvironmentVariableW(L"THAIID_PORT", port_text, 16) > 0) port = (INTERNET_PORT)_wtoi(port_text);
    HINTERNET connection = WinHttpConnect(session, L"localhost", port, 0);
    if (!connection) return fail("WinHttpConnect");
    HINTERNET request = WinHttpOpenRequest(connection, method, path, NULL, WINHTTP_NO_REFERER,
                                           WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE);
    if (!request) return fail("WinHttpOpenRequest");
    wchar_t ignore[4];
    if (GetEnvironmentVariableW(L"THAIID_IGNORE_UNKNOWN_CA", ignore, 4) > 0 && ignore[0] == L'1') {
        DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA;
        WinHttpSetOption(request, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags);
    }
    wchar_t headers[1024];
    swprintf(headers, 1024, L"Origin: %ls\r\nContent-Type: application/json\r\nX-ThaiID-Agent: 1\r\n",
             origin);
    DWORD length = body ? (DWORD)strlen(body) : 0;
    if (!WinHttpSendRequest(request, headers, (DWORD)-1L, (void *)body, length, length, 0))
        return fail("WinHttpSendRequest (TLS: is the agent's CA in the Root store?)");
    if (!WinHttpReceiveResponse(request, NULL)) return fail("WinHttpReceiveResponse");
    DWORD status = 0, size = sizeof status;
    WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                        WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX);
    printf("HTTP %lu\n", status);
    char buffer[4096];
    DWORD read = 0;
    while (WinHttpReadData(request, buffer, sizeof buffer - 1, &read) && read > 0) {
        buffer[read] = 0;
        fputs(buffer, stdout);
    }
    printf("\n");
    WinHttpCloseHandle(request);
    WinHttpCloseHandle(connection);
    WinHttpCloseHandle(session);
    return 0;
}
