//! `/admin/status`: the pipeline snapshot and the killswitch toggle
//! ([`innova_app::admin_status`]).

use dropshot::{Path, RequestContext};
use innova_app::admin_status;
use innova_app::authz::op;

use crate::api::types::admin_status::{
    AdminStatus, KillswitchKey, KillswitchPath, KillswitchView, SetKillswitch,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};

pub async fn status(rqctx: RequestContext<ApiContext>) -> ApiOk<AdminStatus> {
    let permit = auth::admit::<op::AdminStatus>(&rqctx).await?;
    let status = admin_status::status(rqctx.context(), &permit).await?;
    envelope::ok(&rqctx, status.into())
}

pub async fn set_killswitch(
    rqctx: RequestContext<ApiContext>,
    path: Path<KillswitchPath>,
    body: JsonBody<SetKillswitch>,
) -> ApiOk<KillswitchView> {
    let permit = auth::admit::<op::AdminKillswitchSet>(&rqctx).await?;
    // The body first, as the reference: a bad body is 400 whatever the key.
    let body = body.parse()?;
    let key = KillswitchKey::parse(&path.into_inner().key)?;
    admin_status::set_enabled(rqctx.context(), &permit, key.switch(), body.enabled).await?;
    envelope::ok(
        &rqctx,
        KillswitchView {
            key,
            enabled: body.enabled,
        },
    )
}
