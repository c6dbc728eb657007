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
