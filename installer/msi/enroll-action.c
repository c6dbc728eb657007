/*
 * The .msi's enrollment (SPEC §10): a deferred custom action, run as LocalSystem, that
 * starts `thaiid-agent.exe enroll --state-dir DIR --server URL` with the token in the
 * child's environment (THAIID_ENROLL_TOKEN, which `enroll` reads), never on a command line.
 *
 * Why a DLL: an exe custom action gets nothing but its command line, which process-creation
 * logs, Sysmon and EDR keep. Only a DLL action reads its CustomActionData (and wixl 0.101
 * makes DLL actions from the Binary table), and the installer keeps that data out of the log
 * when the action is in MsiHiddenProperties. The child's environment is readable by SYSTEM and
 * administrators only, and ends with it.
 *
 * CustomActionData: EXE|STATE_DIR|SERVER_URL|TOKEN, the token last so that no part of it can
 * reach the command line whatever the other fields hold. Built by installer/build-msi.sh with
 * x86_64-w64-mingw32-gcc; a failed enrollment does not fail the install (the server may be
 * down): the log says so, and `thaiid-agent doctor` too.
 */
#include <windows.h>
#include <msi.h>
#include <msiquery.h>
#include <stdio.h>
#include <wchar.h>

#define FIELDS 4
#define ENROLL_TIMEOUT_MS (5 * 60 * 1000)

static void log_line(MSIHANDLE install, const wchar_t *text) {
    MSIHANDLE record = MsiCreateRecord(1);
    if (!record) return;
    MsiRecordSetStringW(record, 0, L"thaiid-agent enroll: [1]");
    MsiRecordSetStringW(record, 1, text);
    MsiProcessMessage(install, INSTALLMESSAGE_INFO, record);
    MsiCloseHandle(record);
}

/* CustomActionData, or NULL. The caller wipes and frees it. */
static wchar_t *action_data(MSIHANDLE install, DWORD *length) {
    wchar_t empty[1] = L"";
    DWORD size = 0;
    if (MsiGetPropertyW(install, L"CustomActionData", empty, &size) != ERROR_MORE_DATA) return NULL;
    size += 1;
    wchar_t *data = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, size * sizeof(wchar_t));
    if (!data) return NULL;
    if (MsiGetPropertyW(install, L"CustomActionData", data, &size) != ERROR_SUCCESS) {
        HeapFree(GetProcessHeap(), 0, data);
        return NULL;
    }
    *length = size;
    return data;
}

/* Splits `data` in place at its first FIELDS - 1 '|'; 0 when a field is missing or empty,
 * or one that goes on the command line holds a quote. */
static int split(wchar_t *data, wchar_t *fields[FIELDS]) {
    fields[0] = data;
    for (int i = 1; i < FIELDS; i++) {
        wchar_t *bar = wcschr(fields[i - 1], L'|');
        if (!bar) return 0;
        *bar = L'\0';
        fields[i] = bar + 1;
    }
    for (int i = 0; i < FIELDS; i++) {
        if (!fields[i][0]) return 0;
        if (i < FIELDS - 1 && wcschr(fields[i], L'"')) return 0;
    }
    return 1;
}

static const wchar_t *run_enroll(wchar_t *fields[FIELDS], DWORD *exit_code) {
    const wchar_t *exe = fields[0], *state = fields[1], *server = fields[2], *token = fields[3];
    size_t size = wcslen(exe) + wcslen(state) + wcslen(server) + 64;
    wchar_t *command = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, size * sizeof(wchar_t));
    if (!command) return L"out of memory";
    _snwprintf(command, size - 1, L"\"%ls\" enroll --state-dir \"%ls\" --server \"%ls\"", exe, state,
               server);

    /* Set for the child only: it takes a copy of this process's environment. */
    if (!SetEnvironmentVariableW(L"THAIID_ENROLL_TOKEN", token)) {
        HeapFree(GetProcessHeap(), 0, command);
        return L"cannot pass the token";
    }
    STARTUPINFOW startup;
    ZeroMemory(&startup, sizeof startup);
    startup.cb = sizeof startup;
    PROCESS_INFORMATION process;
    BOOL started = CreateProcessW(exe, command, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL,
                                  &startup, &process);
    SetEnvironmentVariableW(L"THAIID_ENROLL_TOKEN", NULL);
    HeapFree(GetProcessHeap(), 0, command);
    if (!started) return L"cannot start thaiid-agent.exe";
    const wchar_t *outcome = NULL;
    if (WaitForSingleObject(process.hProcess, ENROLL_TIMEOUT_MS) != WAIT_OBJECT_0) {
        TerminateProcess(process.hProcess, 1);
        outcome = L"no answer in 5 minutes, stopped";
    } else if (!GetExitCodeProcess(process.hProcess, exit_code)) {
        outcome = L"no exit code";
    }
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
    return outcome;
}

__declspec(dllexport) UINT __stdcall Enroll(MSIHANDLE install) {
    DWORD length = 0;
    wchar_t *data = action_data(install, &length);
    if (!data) {
        log_line(install, L"FAILED: no CustomActionData");
        return ERROR_SUCCESS;
    }
    wchar_t *fields[FIELDS];
    DWORD exit_code = 0;
    const wchar_t *problem = split(data, fields) ? run_enroll(fields, &exit_code)
                                                 : L"CustomActionData is not EXE|STATE|SERVER|TOKEN";
    SecureZeroMemory(data, length * sizeof(wchar_t));
    HeapFree(GetProcessHeap(), 0, data);

    wchar_t line[128] = L"";
    if (problem) {
        _snwprintf(line, 127, L"FAILED: %ls; enroll later as an administrator", problem);
    } else if (exit_code) {
        _snwprintf(line, 127, L"FAILED with exit code %lu (thaiid-agent doctor says why)", exit_code);
    } else {
        _snwprintf(line, 127, L"enrolled");
    }
    log_line(install, line);
    return ERROR_SUCCESS;
}
