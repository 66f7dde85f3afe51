//! Garbage and misbehaving clients must get errors, never crash the queen.

use std::time::Duration;

use bytes_codec::RawCodec;
use swarm_proto::v1::agent_gateway_client::AgentGatewayClient;
use swarm_proto::v1::{AgentMessage, Credit, Hello, agent_message};
use swarm_proto::{AgentKind, Priority};
use swarm_tests::{AgentProc, QueenProc, TestDb};
use tokio::io::AsyncWriteExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::{KIND, noop, submit, wait_drained};

mod bytes_codec {
    //! A codec that sends arbitrary bytes as a gRPC message body.
    use tonic::Status;
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

    #[derive(Default)]
    pub struct RawCodec;
    pub struct Raw;

    impl Encoder for Raw {
        type Item = Vec<u8>;
        type Error = Status;
        fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
            use bytes::BufMut;
            dst.put_slice(&item);
            Ok(())
        }
    }

    impl Decoder for Raw {
        type Item = Vec<u8>;
        type Error = Status;
        fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
            use bytes::Buf;
            let mut out = vec![0; src.remaining()];
            src.copy_to_slice(&mut out);
            Ok(Some(out))
        }
    }

    impl Codec for RawCodec {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = Raw;
        type Decoder = Raw;
        fn encoder(&mut self) -> Raw {
            Raw
        }
        fn decoder(&mut self) -> Raw {
            Raw
        }
    }
}

/// Calls `path` with `body` as raw bytes and no credential; the status it
/// failed with (a success is an error of the test).
pub(crate) async fn raw_call(
    addr: &str,
    path: &str,
    body: Vec<u8>,
) -> anyhow::Result<tonic::Status> {
    let channel = swarm_common::grpc::endpoint(addr)?.connect().await?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let result = grpc
        .unary::<Vec<u8>, Vec<u8>, _>(
            tonic::Request::new(body),
            tonic::codegen::http::uri::PathAndQuery::try_from(path.to_string())?,
            RawCodec,
        )
        .await;
    match result {
        Ok(_) => anyhow::bail!("garbage was accepted"),
        Err(status) => Ok(status),
    }
}

#[tokio::test]
async fn garbage_clients_get_errors_and_the_queen_keeps_serving() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let mut queen = QueenProc::start(&db.url, &[]).await?;
    let addr = queen.addr();

    // 1. raw bytes on the gRPC port (not even HTTP/2)
    for junk in [
        &b"\x00\xff\x13garbage\r\n\r\n"[..],
        &[0u8; 4096][..],
        b"GET / HTTP/1.1\r\n\r\n",
    ] {
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", queen.grpc_port)).await?;
        let _ = tcp.write_all(junk).await;
        drop(tcp);
    }
    // 2. an HTTP/2 call whose body is not a valid protobuf message
    let status = raw_call(&addr, "/swarm.v1.QueenAdmin/SubmitTasks", vec![0xff; 64]).await?;
    assert_ne!(status.code(), tonic::Code::Ok);
    // 3. a valid message with an invalid payload
    let mut untyped = noop(Priority::Normal, 0, "");
    untyped.kind = 77;
    let err = queen
        .admin()
        .await?
        .submit_tasks(swarm_proto::v1::SubmitTasksRequest {
            tasks: vec![untyped],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("unknown kind"), "{}", err.message());
    // 4. an agent stream that does not start with Hello
    let err = agent_stream(&addr, agent_message::Msg::Credit(Credit { credits: 5 })).await;
    assert_eq!(err.map(|s| s.code()), Some(tonic::Code::InvalidArgument));
    // 5. a Hello with absurd values
    let bad_hello = agent_message::Msg::Hello(Hello {
        agent_id: String::new(),
        kind: AgentKind::DataQuality as i32,
        version: String::new(),
        capacity: u32::MAX,
    });
    let err = agent_stream(&addr, bad_hello).await;
    assert_eq!(err.map(|s| s.code()), Some(tonic::Code::InvalidArgument));
    // 6. an unknown method
    let status = raw_call(&addr, "/swarm.v1.QueenAdmin/DropAllTables", vec![]).await?;
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    // the queen is alive and still does its job
    assert!(
        queen.child.try_wait()?.is_none(),
        "queen exited; log:\n{}",
        queen.log_text()
    );
    let agent = AgentProc::start(&addr, KIND, "after-garbage", 2, &[])?;
    let id = submit(&queen, vec![noop(Priority::Normal, 0, "")]).await?[0];
    wait_drained(&queen, Duration::from_secs(20)).await?;
    assert_eq!(agent.completed(), vec![id]);
    db.drop_db().await;
    Ok(())
}

/// Opens an agent stream whose first message is `first`; returns the error
/// status the queen answered with, if any.
async fn agent_stream(addr: &str, first: agent_message::Msg) -> Option<tonic::Status> {
    let channel = swarm_common::grpc::endpoint(addr)
        .ok()?
        .connect()
        .await
        .ok()?;
    let mut client = AgentGatewayClient::new(channel);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(AgentMessage { msg: Some(first) }).ok()?;
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        client.connect(UnboundedReceiverStream::new(rx)),
    )
    .await
    .ok()?;
    match result {
        Err(status) => Some(status),
        Ok(response) => {
            let mut inbound = response.into_inner();
            inbound.message().await.err()
        }
    }
}
