//! `thaiid-agent serve --service`: the agent run by the Windows service manager (SCM).
//! It reports Running once started and, on Stop or Shutdown, ends the server (the
//! caller's body returns) and reports Stopped with the body's outcome.

use super::SERVICE_NAME;
use std::ffi::OsString;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::oneshot;
use windows_service::service::{
    ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::{define_windows_service, service_dispatcher};

/// What the service runs: given the stop signal, serves until it fires; the error's
/// text is logged and its exit code reported to the SCM.
pub type Body = Box<dyn FnOnce(oneshot::Receiver<()>) -> Result<(), (String, u8)> + Send>;

static BODY: OnceLock<Mutex<Option<Body>>> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(
        "not started by the service manager ({0}): `serve --service` is for the \
         thaiid-agent service; run `thaiid-agent serve --state-dir DIR` in a console instead"
    )]
    Dispatcher(windows_service::Error),
    #[error("the service manager refused to {0}: {1} (run as an administrator)")]
    Manager(&'static str, windows_service::Error),
    #[error("cannot find this program's path: {0}")]
    Exe(std::io::Error),
    #[error(
        "the service is {state:?} after 30 s, not {wanted:?}: see its log, or \
         `thaiid-agent doctor --state-dir`"
    )]
    Timeout {
        wanted: ServiceState,
        state: ServiceState,
    },
}

/// Hands the process to the SCM until the service stops.
pub fn run(body: Body) -> Result<(), ServiceError> {
    BODY.get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .replace(body);
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).map_err(ServiceError::Dispatcher)
}

define_windows_service!(ffi_service_main, service_main);

fn service_main(_arguments: Vec<OsString>) {
    let body = BODY
        .get()
        .and_then(|body| body.lock().unwrap_or_else(|p| p.into_inner()).take());
    let Some(body) = body else { return };
    let (stop, stopped) = oneshot::channel();
    let stop = Mutex::new(Some(stop));
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            if let Some(stop) = stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
                tracing::info!("the service manager asked the service to stop");
                let _ = stop.send(());
            }
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let status = match service_control_handler::register(SERVICE_NAME, handler) {
        Ok(status) => status,
        Err(error) => {
            tracing::error!("cannot register with the service manager: {error}");
            return;
        }
    };
    let report = |state, controls, exit_code| {
        let result = status.set_service_status(ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: controls,
            exit_code,
            checkpoint: 0,
            wait_hint: Duration::from_secs(10),
            process_id: None,
        });
        if let Err(error) = result {
            tracing::warn!("cannot report {state:?} to the service manager: {error}");
        }
    };
    report(
        ServiceState::Running,
        ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
        ServiceExitCode::Win32(0),
    );
    let exit_code = match body(stopped) {
        Ok(()) => ServiceExitCode::Win32(0),
        Err((message, code)) => {
            tracing::error!("the service stopped: {message}");
            ServiceExitCode::ServiceSpecific(u32::from(code))
        }
    };
    report(
        ServiceState::Stopped,
        ServiceControlAccept::empty(),
        exit_code,
    );
}

/// `thaiid-agent service install`: the service (made, or its configuration set anew),
/// then started and waited for. Run by the installer as LocalSystem. The service
/// manager is given a quoted executable path, so that no `C:\Program.exe` can stand in
/// (Windows Installer's own ServiceInstall leaves it unquoted under Wine).
pub fn install(state_dir: &std::path::Path) -> Result<(), ServiceError> {
    use windows_service::service::{
        ServiceAccess, ServiceErrorControl, ServiceInfo, ServiceStartType,
    };
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    let manager = ServiceManager::local_computer(
        None::<&str>,
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
    )
    .map_err(|e| ServiceError::Manager("connect", e))?;
    let executable_path = std::env::current_exe().map_err(ServiceError::Exe)?;
    let info = ServiceInfo {
        name: SERVICE_NAME.into(),
        display_name: "ThaiID Login Agent".into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path,
        launch_arguments: vec![
            "serve".into(),
            "--service".into(),
            "--state-dir".into(),
            state_dir.as_os_str().to_owned(),
        ],
        dependencies: Vec::new(),
        account_name: Some(format!(r"NT SERVICE\{SERVICE_NAME}").into()),
        account_password: None,
    };
    let access = ServiceAccess::QUERY_STATUS
        | ServiceAccess::START
        | ServiceAccess::STOP
        | ServiceAccess::CHANGE_CONFIG;
    let service = match manager.open_service(SERVICE_NAME, access) {
        Ok(service) => {
            service
                .change_config(&info)
                .map_err(|e| ServiceError::Manager("reconfigure the service", e))?;
            service
        }
        Err(_) => manager
            .create_service(&info, access)
            .map_err(|e| ServiceError::Manager("create the service", e))?,
    };
    let _ = service.set_description(
        "Reads the Thai national ID card for SSO login (localhost HTTPS API, SPEC §5)",
    );
    if service
        .query_status()
        .map_err(|e| ServiceError::Manager("query the service", e))?
        .current_state
        != ServiceState::Running
    {
        start(&service)?;
    }
    println!("service {SERVICE_NAME} installed and running");
    Ok(())
}

/// Starts the service and waits until it runs. A first start from a cold disk can outlast
/// the service manager's own wait for the process (Wine's is short), which then gives up
/// on it: it is asked again, twice at most.
fn start(service: &windows_service::service::Service) -> Result<(), ServiceError> {
    let mut attempt = 1;
    loop {
        if let Err(error) = service.start::<&str>(&[]) {
            eprintln!("starting the service (attempt {attempt}): {error}");
        }
        match wait_for(service, ServiceState::Running) {
            Ok(()) => return Ok(()),
            Err(error) if attempt == 3 => return Err(error),
            Err(_) => attempt += 1,
        }
    }
}

/// `thaiid-agent service uninstall`: stopped (waited for) and deleted; nothing to do
/// when there is no such service.
pub fn uninstall() -> Result<(), ServiceError> {
    use windows_service::service::ServiceAccess;
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(|e| ServiceError::Manager("connect", e))?;
    let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
    let Ok(service) = manager.open_service(SERVICE_NAME, access) else {
        println!("no service {SERVICE_NAME}");
        return Ok(());
    };
    if service
        .query_status()
        .map_err(|e| ServiceError::Manager("query the service", e))?
        .current_state
        != ServiceState::Stopped
    {
        let _ = service.stop();
        wait_for(&service, ServiceState::Stopped)?;
    }
    service
        .delete()
        .map_err(|e| ServiceError::Manager("delete the service", e))?;
    println!("service {SERVICE_NAME} stopped and deleted");
    Ok(())
}

fn wait_for(
    service: &windows_service::service::Service,
    wanted: ServiceState,
) -> Result<(), ServiceError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let state = service
            .query_status()
            .map_err(|e| ServiceError::Manager("query the service", e))?
            .current_state;
        if state == wanted {
            return Ok(());
        }
        // Stopped while we wait for Running: the start failed, no use waiting on.
        if wanted == ServiceState::Running && state == ServiceState::Stopped {
            return Err(ServiceError::Timeout { wanted, state });
        }
        if std::time::Instant::now() > deadline {
            return Err(ServiceError::Timeout { wanted, state });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
